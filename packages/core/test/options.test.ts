import { describe, expect, it } from 'vitest';
import { ConfigError, MemoryStorage, Spool, defineJob, parseDuration } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';

describe('options', () => {
  it('parses durations with units', () => {
    expect(parseDuration('500ms')).toEqual({ ok: true, ms: 500 });
    expect(parseDuration('10s')).toEqual({ ok: true, ms: 10_000 });
    expect(parseDuration('1.5h')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseDuration(250)).toEqual({ ok: true, ms: 250 });
    expect(parseDuration('soon').ok).toBe(false);
    expect(parseDuration(-1).ok).toBe(false);
  });

  it('reports every problem at once and suggests the nearest known option', () => {
    try {
      resolveOptions({ concurrency: { kind: 'integer', default: 1, min: 1 }, leaseTime: { kind: 'duration', default: 1 } }, { concurency: 3, leaseTime: 'forever' }, 'server');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems.map((p) => p.path)).toEqual(['server.concurency', 'server.leaseTime']);
      expect(problems[0]!.message).toContain('did you mean "concurrency"');
      expect(problems[1]!.message).toContain("got \"forever\"");
    }
  });

  it('returns frozen options with defaults applied', () => {
    const resolved = resolveOptions<{ a: number; b: number }>({ a: { kind: 'duration', default: 5 }, b: { kind: 'integer', default: 2 } }, { a: '1s' }, 'x');
    expect(resolved).toEqual({ a: 1000, b: 2 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('rejects a bad job definition and bad server options with ConfigError', async () => {
    expect(() => defineJob('bad name!', () => 1)).toThrow(ConfigError);
    expect(() => defineJob('ok', () => 1, { attempts: 0 })).toThrow(/attempts/);
    expect(() => defineJob('ok', () => 1, { execution: 'thread' })).toThrow(/import\.meta\.url/);
    const spool = new Spool({ storage: new MemoryStorage() });
    await expect(spool.startServer({ concurrency: 0 })).rejects.toThrow(ConfigError);
    await expect(spool.startServer({ leaseTime: '5s', leaseRenewInterval: '10s' })).rejects.toThrow(/leaseRenewInterval/);
    await spool.close();
  });

  it('rejects an unknown Spool option', () => {
    expect(() => new Spool({ storage: new MemoryStorage(), job: [] } as never)).toThrow(/did you mean "jobs"/);
  });

  it('names the known options, in a sentence of its own, when no known one is close', () => {
    expect(() => new Spool({ storage: new MemoryStorage(), url: 'x' } as never)).toThrow(/options\.url: unknown option\. Known options: /);
  });
});
