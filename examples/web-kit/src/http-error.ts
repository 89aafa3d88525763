/**
 * An error a handler throws to answer with its status and message: JSON `{ error: { code, message } }`
 * for an API, or a page for a browser (see `answerError`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Allow` for 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
