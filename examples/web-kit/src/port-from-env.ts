/** The HTTP port from `PORT` (default 3000); a RangeError when it is not a port number. */
export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const port = Number(env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  return port;
}
