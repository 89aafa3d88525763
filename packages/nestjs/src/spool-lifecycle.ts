import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';

import type { JobDefinition, Server } from '@spool/core';
import { ConfigError, defineJob } from '@spool/core';

import type { SpoolDashboardRef } from './spool-dashboard-ref.js';
import type { SpoolJobHandler, SpoolJobMetadata } from './spool-job.js';
import type { ResolvedSpoolModuleOptions } from './spool-module-options.js';
import { SPOOL_DASHBOARD, SPOOL_JOB_METADATA, SPOOL_RESOLVED_OPTIONS } from './tokens.js';

/**
 * Runs Spool with the application's lifecycle: adds the `@SpoolJob` providers' jobs once every
 * provider exists, starts the server once every module is initialised, stops it first when the
 * application shuts down, and closes the storage last.
 */
@Injectable()
export class SpoolLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  #server: Server | null = null;

  constructor(
    @Inject(SPOOL_RESOLVED_OPTIONS) private readonly options: ResolvedSpoolModuleOptions,
    @Inject(SPOOL_DASHBOARD) private readonly dashboard: SpoolDashboardRef | null,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  /** The server running this process's jobs, once the application has started; null before, after shutdown, or with `server: false`. */
  get server(): Server | null {
    return this.#server;
  }

  onModuleInit(): void {
    this.options.spool.define(...this.#providedJobs());
  }

  async onApplicationBootstrap(): Promise<void> {
    const { spool, server } = this.options;
    await spool.init();
    if (server !== false) this.#server = await spool.startServer(server);
  }

  async onModuleDestroy(): Promise<void> {
    // A live stream lasts as long as its page: Nest's HTTP server would wait for every open tab.
    this.dashboard?.handler.closeStreams();
    // Running jobs finish now, while the storage stays open for requests still in progress.
    await this.#server?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.spool.close();
    this.#server = null;
  }

  /** One job definition per `@SpoolJob` provider, each running in the provider's instance. */
  #providedJobs(): JobDefinition[] {
    const definitions: JobDefinition[] = [];
    const seen = new Map<string, string>();
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype } = wrapper;
      if (typeof metatype !== 'function') continue;
      const metadata = this.reflector.get<SpoolJobMetadata | undefined>(SPOOL_JOB_METADATA, metatype);
      if (!metadata) continue;
      const where = `@SpoolJob("${metadata.name}") on ${metatype.name}`;
      if (!wrapper.isDependencyTreeStatic()) {
        throw new ConfigError([{ path: where, message: 'is request-scoped or transient (itself or a dependency); a job runs outside any request, so make it a singleton provider' }]);
      }
      const instance = wrapper.instance as Partial<SpoolJobHandler> | undefined;
      if (typeof instance?.run !== 'function') {
        throw new ConfigError([{ path: where, message: 'has no run(args, ctx) method; a job provider implements SpoolJobHandler' }]);
      }
      const other = seen.get(metadata.name);
      if (other !== undefined) {
        throw new ConfigError([{ path: where, message: `names the same job as ${other}, or is listed in the providers of two modules; job names are unique` }]);
      }
      seen.set(metadata.name, metatype.name);
      const run = instance.run.bind(instance);
      definitions.push(defineJob(metadata.name, (args, ctx) => run(args, ctx), metadata.options));
    }
    return definitions;
  }
}
