import { describe, expect, it } from 'vitest';
import * as core from '@spool/core';
import * as kit from '@spool/core/storage-kit';

/** Helpers that only storages (and read models such as the dashboard) use. */
const STORAGE_AUTHOR_HELPERS = [
  'encodeCursor',
  'decodeCursor',
  'matchesSearch',
  'bucketStarts',
  'MAX_TIME_SERIES_BUCKETS',
  'lowerIdAt',
  'idRange',
  'REPLACEMENT_CHARACTER',
  'isStorableText',
  'storableText',
  'isStorableJson',
  'storableJson',
  'storableError',
  'storableCompletion',
  'storableCompletions',
  'storableLogs',
  'storableParameter',
  'storableStateChange',
  'storableNewJobs',
  'decodeRecurringSettings',
  'encodeRecurringSettings',
  'electFailure',
  'formatDelay',
  'resolveOptions',
  'closest',
  'describe',
  'StartOnce',
];

describe('the entry points of @spool/core', () => {
  it('give end users no storage-author helper', () => {
    expect(STORAGE_AUTHOR_HELPERS.filter((name) => name in core)).toEqual([]);
  });

  it('give storage authors every helper from @spool/core/storage-kit', () => {
    expect(STORAGE_AUTHOR_HELPERS.filter((name) => !(name in kit))).toEqual([]);
    expect(kit.decodeCursor(kit.encodeCursor('0190a1b2-job'))).toBe('0190a1b2-job');
  });

  it('still give end users what they build with', () => {
    for (const name of ['Spool', 'defineJob', 'MemoryStorage', 'Server', 'ManualClock', 'ManualRuntime', 'parseDuration', 'cron']) expect(name in core, name).toBe(true);
  });
});
