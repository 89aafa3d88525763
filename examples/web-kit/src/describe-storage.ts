/**
 * A storage for a log line or a printed command: the URL without its password
 * (`postgres://user:***@host/db`), so that start-up output can be shared safely.
 */
export function describeStorage(storage: unknown): string {
  return typeof storage === 'string' ? storage.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : 'a storage object';
}
