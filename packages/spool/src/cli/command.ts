/** One option of a command, as parsed by node:util's parseArgs and shown by `--help`. */
export interface OptionSpec {
  /** Long name without dashes: `queue` for `--queue`. */
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in help: `--queue <name>`. */
  value?: string;
  /** May be given more than once. */
  multiple?: boolean;
  description: string;
}

/** Where a command writes and what it reads from its environment. */
export interface CliIo {
  /** Writes to standard output (results: tables or one JSON document). */
  out(text: string): void;
  /** Writes to standard error (progress, notes, errors). */
  err(text: string): void;
  /** Whether standard error is a terminal (live status lines, progress bars and its colours only then). */
  readonly stderrIsTty: boolean;
  /** Whether standard output is a terminal (colours in tables only then). */
  readonly stdoutIsTty: boolean;
  /** Terminal width, for status lines. */
  readonly columns: number;
  readonly env: NodeJS.ProcessEnv;
  /** The current time, for relative times in human output. */
  now(): number;
}

/** A CLI command: its words, its help and its run function. */
export interface Command {
  /** The words that invoke it, e.g. `['jobs', 'list']`. */
  readonly path: readonly string[];
  /** One line for `spool --help`. */
  readonly summary: string;
  /** Positional arguments in the usage line, e.g. `<id>`. */
  readonly positionals: string;
  /** What it does, a few lines. */
  readonly description: string;
  /** Its own options (the common ones are added by the parser). */
  readonly options: readonly OptionSpec[];
  /** Example invocations, each with a comment line. */
  readonly examples: readonly string[];
  /** Whether it opens a storage (and so takes `--storage`). Default true. */
  readonly usesStorage?: boolean;
  /** Runs the command; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** An error that the CLI reports as `error [CODE]: message`, exit code 1, without a stack trace. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A command line that cannot be understood: reported with a pointer to `--help`, exit code 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose help to point at, e.g. `jobs list`; empty for the top level. */
    readonly command = '',
  ) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}
