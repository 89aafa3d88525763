import { createHmac, timingSafeEqual } from 'node:crypto';

import { SpoolError } from '@spool/core';

/** Why a job status token was refused. */
export type JobStatusTokenProblem = 'malformed' | 'bad-signature' | 'expired' | 'other-job';

/**
 * A job status token that cannot be used: malformed or forged (`ERR_STATUS_TOKEN_INVALID`), past
 * its expiry (`ERR_STATUS_TOKEN_EXPIRED`), or made for another job (`ERR_STATUS_TOKEN_OTHER_JOB`).
 * `problem` says which, for logs; the client is only told the code.
 */
export class JobStatusTokenError extends SpoolError {
  constructor(
    readonly problem: JobStatusTokenProblem,
    message: string,
  ) {
    super(problem === 'expired' ? 'ERR_STATUS_TOKEN_EXPIRED' : problem === 'other-job' ? 'ERR_STATUS_TOKEN_OTHER_JOB' : 'ERR_STATUS_TOKEN_INVALID', message);
  }
}

/** The token format's version, first in every token: a later format can be told apart. */
const VERSION = 'v1';
/** Separates the signed text's fields from those of other HMACs made with the same secret. */
const PURPOSE = 'spool-job-status';
/** What a job id looks like (Spool makes UUIDv7s): no dot, so a token splits one way only. */
export const JOB_ID = /^[0-9a-fA-F-]{1,64}$/;

/**
 * Signs and checks job status tokens: `v1.<job id>.<expiry, seconds since the epoch>.<signature>`,
 * the signature being HMAC-SHA-256 of the purpose, version, job id and expiry under the
 * application's secret (base64url). A token names the one job it lets its holder watch; it holds no
 * secret and no user data, and it is compared in constant time.
 */
export class JobStatusTokens {
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {}

  /** A token for `jobId` that expires `ttlMs` from now. */
  issue(jobId: string, ttlMs: number): string {
    if (!JOB_ID.test(jobId)) throw new TypeError(`Expected a job id (a UUID), got ${describe(jobId)}.`);
    const expires = Math.ceil((this.now() + ttlMs) / 1000);
    return `${VERSION}.${jobId}.${expires}.${this.sign(jobId, expires)}`;
  }

  /**
   * Checks a token for `jobId`: returns its expiry (ms since the epoch), or throws a
   * {@link JobStatusTokenError}. A forged or altered token is refused before its job or expiry is
   * looked at, so the answer tells a forger nothing about them.
   */
  verify(token: string | null | undefined, jobId: string): number {
    const parts = (token ?? '').split('.');
    if (parts.length !== 4 || parts[0] !== VERSION || !/^\d{1,12}$/.test(parts[2]!) || parts[1] === '') {
      throw new JobStatusTokenError('malformed', `Expected a job status token (${VERSION}.<job id>.<expiry>.<signature>, from createJobStatus().token()), got ${describe(token)}.`);
    }
    const [, tokenJob, expiresText, signature] = parts as [string, string, string, string];
    const expires = Number(expiresText);
    const expected = Buffer.from(this.sign(tokenJob, expires));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new JobStatusTokenError('bad-signature', 'The job status token is not signed by this application (altered, or made with another secret). Ask the application for a new one.');
    }
    if (tokenJob !== jobId) throw new JobStatusTokenError('other-job', `The job status token is for another job, not ${jobId}.`);
    if (expires * 1000 <= this.now()) {
      throw new JobStatusTokenError('expired', `The job status token expired at ${new Date(expires * 1000).toISOString()}. Ask the application for a new one.`);
    }
    return expires * 1000;
  }

  private sign(jobId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${PURPOSE}:${VERSION}:${jobId}:${expires}`).digest('base64url');
  }
}

function describe(token: string | null | undefined): string {
  if (token === null || token === undefined || token === '') return 'none (pass it as ?token=)';
  return token.length > 40 ? `${JSON.stringify(token.slice(0, 40))}… (${token.length} characters)` : JSON.stringify(token);
}
