import 'reflect-metadata';

import type { AddressInfo } from 'node:net';

import { Body, Controller, HttpCode, Injectable, Module, Post, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';

import type { JobContext } from '@spool/core';
import { ConfigError } from '@spool/core';
import type { SpoolJobHandler } from '@spool/nestjs';
import { SpoolClient, SpoolJob, SpoolLifecycle, SpoolModule } from '@spool/nestjs';

import { Gate, afterClose, openLiveStream, sqliteSpool, visitDashboard, waitForState } from '../../../test/integrations/harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An ordinary service that a job provider gets injected. */
@Injectable()
class Greeter {
  readonly greeted: string[] = [];
  greet(to: string): string {
    this.greeted.push(to);
    return `hello ${to}`;
  }
}

/** The gate the report job waits on, as a provider so that each application has its own. */
@Injectable()
class ReportGate extends Gate {}

@SpoolJob('greetings.send', { attempts: 1 })
class GreetingJob implements SpoolJobHandler<{ to: string }, { greeting: string; attempt: number }> {
  constructor(private readonly greeter: Greeter) {}

  run(args: { to: string }, ctx: JobContext) {
    return { greeting: this.greeter.greet(args.to), attempt: ctx.attempt };
  }
}

@SpoolJob('reports.build', { attempts: 1, queue: 'reports' })
class ReportJob implements SpoolJobHandler<{ id: number }, string> {
  constructor(private readonly gate: ReportGate) {}

  async run(args: { id: number }) {
    await this.gate.pass();
    return `report ${args.id}`;
  }
}

@Controller()
class JobsController {
  constructor(private readonly spool: SpoolClient) {}

  @Post('greetings')
  @HttpCode(202)
  async greet(@Body() body: { to: string }) {
    return { id: await this.spool.enqueue('greetings.send', { to: body.to }) };
  }

  @Post('reports')
  @HttpCode(202)
  async report() {
    return { id: await this.spool.enqueue('reports.build', { id: 7 }) };
  }
}

@Module({ providers: [Greeter, ReportGate, GreetingJob, ReportJob], controllers: [JobsController], exports: [Greeter, ReportGate] })
class JobsModule {}

/** Settings a configuration module would provide, for forRootAsync's factory. */
class SpoolSettings {
  constructor(readonly concurrency: number) {}
}

@Module({ providers: [{ provide: SpoolSettings, useValue: new SpoolSettings(2) }], exports: [SpoolSettings] })
class SettingsModule {}

/** A Nest application on platform-express with SpoolModule.forRoot (or forRootAsync), listening on a free port. */
async function bootApp(async = false) {
  const { spool, path, remove } = sqliteSpool([]);
  cleanups.push(remove);
  const options = (concurrency: number) => ({ spool, server: { concurrency, queues: ['default', 'reports'] }, dashboard: { path: '/admin/spool' } });
  const spoolModule = async
    ? SpoolModule.forRootAsync({ imports: [SettingsModule], inject: [SpoolSettings], useFactory: async (settings: SpoolSettings) => options(settings.concurrency + 1) })
    : SpoolModule.forRoot(options(2));
  @Module({ imports: [spoolModule, JobsModule] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return { app, origin, spool, path };
}

async function enqueueOver(origin: string, route: string, body: unknown = {}): Promise<string> {
  const response = await fetch(`${origin}/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

describe('SpoolModule', () => {
  it('runs a job provider with its injected service, enqueued by a controller through SpoolClient', async () => {
    const { app, origin, spool } = await bootApp();
    try {
      const id = await enqueueOver(origin, 'greetings', { to: 'ann' });
      await waitForState(spool, id, 'succeeded');
      expect((await spool.getJob(id))?.result).toEqual({ greeting: 'hello ann', attempt: 1 });
      expect(app.get(Greeter).greeted).toEqual(['ann']);
      expect(app.get(SpoolClient)).toBe(spool);
      expect(spool.jobNames()).toEqual(['greetings.send', 'reports.build']);
      expect((await spool.getJob(await enqueueOver(origin, 'reports')))?.queue).toBe('reports');
      app.get(ReportGate).open();
    } finally {
      await app.close();
    }
  });

  it('takes its options from a factory with forRootAsync, handed the providers it injects', async () => {
    const { app, origin, spool } = await bootApp(true);
    try {
      const id = await enqueueOver(origin, 'greetings', { to: 'bo' });
      await waitForState(spool, id, 'succeeded');
      expect(app.get(SpoolLifecycle).server?.options).toMatchObject({ concurrency: 3, handleSignals: false });
    } finally {
      await app.close();
    }
  });

  it('serves the dashboard and its API under the path, and its actions still need the CSRF token', async () => {
    const { app, origin, spool } = await bootApp();
    try {
      await waitForState(spool, await enqueueOver(origin, 'greetings', { to: 'cy' }), 'succeeded');
      const later = await spool.schedule('greetings.send', { to: 'di' }, { delay: '1h' });
      // Nest's body parsers read the form before the dashboard does: it takes the parsed body.
      await visitDashboard(spool, origin, '/admin/spool', later);
      expect((await fetch(`${origin}/admin/spoolish`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('shuts down gracefully with app.close(): live streams end, the running job finishes, the server leaves storage', async () => {
    const { app, origin, path } = await bootApp();
    const id = await enqueueOver(origin, 'reports');
    const gate = app.get(ReportGate);
    await gate.entered;
    const live = await openLiveStream(origin, '/admin/spool');
    const closing = app.close();
    await live.ended;
    gate.open();
    await closing;
    expect(app.getHttpServer().listening).toBe(false);
    expect(await afterClose(path, id)).toEqual({ state: 'succeeded', servers: 0 });
  });

  it('refuses a request-scoped job provider, saying why', async () => {
    const { spool, remove } = sqliteSpool([]);
    cleanups.push(remove);
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {}
    @SpoolJob('scoped.job')
    class ScopedJob implements SpoolJobHandler {
      constructor(readonly perRequest: PerRequest) {}
      run() {}
    }
    @Module({ imports: [SpoolModule.forRoot({ spool, server: false })], providers: [PerRequest, ScopedJob] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    const refusal = await app.init().then(() => null, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).message).toMatch(/@SpoolJob\("scoped.job"\) on ScopedJob: is request-scoped/);
    await app.close();
  });
});
