/**
 * The HTTP plumbing the Spool examples share, so that each example's code shows its pattern and
 * not boilerplate: the mount interface, JSON and HTML answers, bodies with a size cap, hosting one
 * example on its own server, and a graceful stop on signals.
 */
export type { ExampleMount } from './example-mount.js';
export { HttpError } from './http-error.js';
export { SECURITY_HEADERS } from './security-headers.js';
export { sendJson } from './send-json.js';
export { PAGE_POLICY, sendHtml } from './send-html.js';
export type { SendHtmlOptions } from './send-html.js';
export { sendStylesheet } from './send-stylesheet.js';
export { escapeHtml } from './escape-html.js';
export { allow } from './allow.js';
export { answerError } from './answer-error.js';
export type { AnswerErrorOptions } from './answer-error.js';
export { MAX_BODY_BYTES, isFormBody, readBodyText, readFormBody, readJsonBody, readObjectBody } from './read-body.js';
export type { ReadBodyOptions, ReadJsonBodyOptions } from './read-body.js';
export { listenHttp } from './listen-http.js';
export type { ListenOptions } from './listen-http.js';
export { hostExample } from './host-example.js';
export type { HostExampleOptions, HostedExample } from './host-example.js';
export { stopOnSignals } from './stop-on-signals.js';
export type { StopOnSignalsOptions } from './stop-on-signals.js';
export { exitWith } from './exit-with.js';
export { portFromEnv } from './port-from-env.js';
export { describeStorage } from './describe-storage.js';
