import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';

import type { JobContext, JobOptions } from '@spool/core';

import { SPOOL_JOB_METADATA } from './tokens.js';

/**
 * Options of a job defined by a provider: every job option but `execution` and `module`. Such a
 * job runs on the event loop, in the provider's instance, never in a worker thread.
 */
export type SpoolJobOptions = Omit<JobOptions, 'execution' | 'module'>;

/** What `@SpoolJob()` records on a class. */
export interface SpoolJobMetadata {
  name: string;
  options: SpoolJobOptions;
}

/** A provider that runs a job: Spool calls `run` with the job's arguments and context. */
export interface SpoolJobHandler<Args = unknown, Result = unknown> {
  /** Runs one job; what it returns is stored as the job's result, what it throws fails the attempt. */
  run(args: Args, ctx: JobContext): Promise<Result> | Result;
}

/**
 * Makes a class a provider that defines a job: its `run(args, ctx)` is the handler, and its
 * constructor gets injected services like any provider's. List it in a module's `providers`;
 * `SpoolModule` finds it when the application starts and adds the job to the Spool instance.
 * Singleton providers only: a job runs outside any request.
 *
 * ```ts
 * @SpoolJob('email.welcome', { attempts: 5 })
 * export class WelcomeEmailJob implements SpoolJobHandler<{ to: string }> {
 *   constructor(private readonly mailer: Mailer) {}
 *   async run(args: { to: string }) { await this.mailer.send(args.to, 'Welcome'); }
 * }
 * ```
 */
export function SpoolJob(name: string, options: SpoolJobOptions = {}): ClassDecorator {
  const metadata: SpoolJobMetadata = { name, options };
  return applyDecorators(Injectable(), SetMetadata(SPOOL_JOB_METADATA, metadata));
}
