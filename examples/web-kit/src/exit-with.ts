/** Prints a setting or start-up problem (with the error's code when it has one) and exits with 1. */
export function exitWith(program: string, error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  console.error(`${program}: ${typeof code === 'string' ? `[${code}] ` : ''}${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
