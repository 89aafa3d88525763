import { describe, expect, it } from 'vitest';

import { describeStorage } from '@spool-examples/web-kit';

import { showcaseSettingsFromEnv } from '../src/settings.js';

describe('the showcase settings', () => {
  it('never shows a storage password in what it prints', () => {
    expect(describeStorage('postgres://spool:s3cret@db.internal:5432/jobs?schema=app')).toBe('postgres://spool:***@db.internal:5432/jobs?schema=app');
    expect(describeStorage('postgres://postgres@127.0.0.1/test')).toBe('postgres://postgres@127.0.0.1/test');
    expect(describeStorage('sqlite:./data/spool.db')).toBe('sqlite:./data/spool.db');
  });

  it('refuses unusable settings with a message that names them', () => {
    expect(() => showcaseSettingsFromEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => showcaseSettingsFromEnv({ PUSH_FAILURE_RATE: '2' })).toThrow(/PUSH_FAILURE_RATE/);
    expect(() => showcaseSettingsFromEnv({ WORKER: 'maybe' })).toThrow(/WORKER/);
    expect(showcaseSettingsFromEnv({})).toMatchObject({ port: 3000, storage: 'sqlite:./data/spool.db', worker: true });
  });
});
