import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

import type { Server, Spool } from '@spool/core';
import type { DashboardHandler } from '@spool/dashboard';
import { createDashboard } from '@spool/dashboard';

import { closeOnSignals } from '@spool/dashboard/integration-kit';
import type { SpoolDashboardMount, SpoolFastifyOptions } from './spool-fastify-options.js';
import { resolveSpoolFastifyOptions } from './spool-fastify-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Spool client the `@spool/fastify` plugin was given: `await fastify.spool.enqueue(job, args)`. */
    readonly spool: Spool;
    /** The server running this process's jobs, once the app is ready; null before, after close, or with `server: false`. */
    readonly spoolServer: Server | null;
  }
}

/**
 * Runs Spool with a Fastify app: decorates the app with `spool` (the client), opens the storage and
 * starts a server when the app is ready, mounts the dashboard under a path, and on `app.close()`
 * ends the dashboard's live streams, stops the server gracefully (running jobs finish within its
 * `shutdownTimeout`) and closes the storage. SIGTERM and SIGINT close the app (`closeOnSignals`).
 *
 * ```ts
 * await app.register(spoolPlugin, { spool, server: { concurrency: 5 }, dashboard: { path: '/admin/spool' } });
 * ```
 */
async function spool(fastify: FastifyInstance, options: SpoolFastifyOptions): Promise<void> {
  const { spool: client, server: serverOptions, dashboard, closeOnSignals: onSignals } = resolveSpoolFastifyOptions(options);
  let server: Server | null = null;
  fastify.decorate('spool', client);
  fastify.decorate('spoolServer', { getter: () => server });

  const handler = dashboard === false ? null : await mountDashboard(fastify, client, dashboard);

  fastify.addHook('onReady', async () => {
    await client.init();
    if (serverOptions !== false) server = await client.startServer(serverOptions);
  });
  // Before the HTTP server stops listening: it waits for every open connection, and a live stream
  // stays open as long as its page.
  fastify.addHook('preClose', async () => {
    handler?.closeStreams();
  });
  const removeSignalListeners = onSignals ? closeOnSignals(() => fastify.close(), (error) => fastify.log.error(error)) : () => undefined;
  fastify.addHook('onClose', async () => {
    removeSignalListeners();
    await client.close();
    server = null;
  });
}

/** Serves the dashboard under its path, in a context of its own so that the app's body parsers stay untouched. */
async function mountDashboard(fastify: FastifyInstance, client: Spool, mount: SpoolDashboardMount): Promise<DashboardHandler> {
  const { path, ...dashboardOptions } = mount;
  const handler = createDashboard(client, { ...dashboardOptions, basePath: path });
  const serve = (request: FastifyRequest, reply: FastifyReply): void => {
    // The dashboard writes the response itself, on Node's objects.
    reply.hijack();
    handler(request.raw, reply.raw);
  };
  await fastify.register(
    async (dashboardContext) => {
      // The dashboard reads form bodies itself: leave every body unread here, whatever parsers the
      // app registered (this context is encapsulated, so the app keeps them).
      dashboardContext.removeAllContentTypeParsers();
      dashboardContext.addContentTypeParser('*', (_request, _payload, done) => done(null));
      dashboardContext.all('/', serve);
      dashboardContext.all('/*', serve);
    },
    { prefix: path },
  );
  return handler;
}

/**
 * The Spool plugin for Fastify 5 (see {@link SpoolFastifyOptions}). Registered with
 * `fastify-plugin`'s encapsulation skipped, so `fastify.spool` is visible to the whole app.
 */
export const spoolPlugin = fastifyPlugin(spool, { fastify: '5.x', name: '@spool/fastify' });
