/** Headers on every answer: the browser takes the declared content type as it is and sends no referrer on. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
