import { describe, expect, it } from 'vitest';
import { ConfigError, CronSchedule, parseCron } from '@spool/core';

/** The next `n` occurrences after `from`, as ISO strings. */
function next(cron: string, from: string, n: number, zone = 'UTC', dayMatch: 'and' | 'or' = 'and'): string[] {
  return CronSchedule.parse(cron, zone, 'r', dayMatch)
    .nextN(new Date(from), n)
    .map((d) => d.toISOString().replace('.000Z', 'Z'));
}

describe('the cron dialect', () => {
  // Each row: expression, from, the occurrences that follow (checked against a calendar by hand).
  const table: Array<[string, string, string[]]> = [
    ['@daily', '2026-01-01T10:00:00Z', ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z']],
    ['@hourly', '2026-01-01T10:00:00Z', ['2026-01-01T11:00:00Z', '2026-01-01T12:00:00Z']],
    ['@weekly', '2026-01-01T10:00:00Z', ['2026-01-04T00:00:00Z', '2026-01-11T00:00:00Z']],
    ['@monthly', '2026-01-15T10:00:00Z', ['2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z']],
    ['@yearly', '2026-01-15T10:00:00Z', ['2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z']],
    ['@every_second', '2026-01-01T10:00:00Z', ['2026-01-01T10:00:01Z', '2026-01-01T10:00:02Z']],
    ['*/15 * * * * *', '2026-01-01T10:00:01Z', ['2026-01-01T10:00:15Z', '2026-01-01T10:00:30Z']],
    ['0/30 * * * *', '2026-01-01T10:10:00Z', ['2026-01-01T10:30:00Z', '2026-01-01T11:00:00Z']],
    ['10/5 * * * *', '2026-01-01T10:56:00Z', ['2026-01-01T11:10:00Z', '2026-01-01T11:15:00Z']],
    ['0 23-3 * * *', '2026-01-01T03:30:00Z', ['2026-01-01T23:00:00Z', '2026-01-02T00:00:00Z', '2026-01-02T01:00:00Z']],
    ['0 0 * * FRI-TUE', '2026-01-01T00:00:00Z', ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', '2026-01-09T00:00:00Z']],
    ['0 0 1 NOV-FEB *', '2026-03-01T10:00:00Z', ['2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z', '2027-11-01T00:00:00Z']],
    ['0 0 ? * MON', '2026-01-01T00:00:00Z', ['2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z']],
    ['0 0 L * ?', '2026-01-01T00:00:00Z', ['2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-31T00:00:00Z']],
    ['0 0 L-3 * *', '2026-01-01T00:00:00Z', ['2026-01-28T00:00:00Z', '2026-02-25T00:00:00Z']],
    // Last weekday: 31 Jan 2026 is a Saturday, 31 May a Sunday.
    ['0 0 LW * *', '2026-01-01T00:00:00Z', ['2026-01-30T00:00:00Z', '2026-02-27T00:00:00Z', '2026-03-31T00:00:00Z', '2026-04-30T00:00:00Z', '2026-05-29T00:00:00Z']],
    ['0 0 L-2W * *', '2026-03-01T00:00:00Z', ['2026-03-30T00:00:00Z']],
    // 1W: 1 Aug 2026 is a Saturday, so Monday the 3rd (never July); 15W: 15 Mar 2026 is a Sunday, so the 16th.
    ['0 0 1W 8 *', '2026-01-01T00:00:00Z', ['2026-08-03T00:00:00Z']],
    ['0 0 15W 3 *', '2026-01-01T00:00:00Z', ['2026-03-16T00:00:00Z']],
    ['0 0 * * 5L', '2026-01-01T00:00:00Z', ['2026-01-30T00:00:00Z', '2026-02-27T00:00:00Z']],
    ['0 0 * * MON#2', '2026-01-01T00:00:00Z', ['2026-01-12T00:00:00Z', '2026-02-09T00:00:00Z']],
    ['0 0 * * 7', '2026-01-01T00:00:00Z', ['2026-01-04T00:00:00Z']],
    // Day-of-month AND day-of-week, as Hangfire: Friday the 13th only.
    ['0 5 18 13 * 5', '2026-01-01T00:00:00Z', ['2026-02-13T18:05:00Z', '2026-03-13T18:05:00Z', '2026-11-13T18:05:00Z']],
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']],
  ];
  for (const [cron, from, expected] of table) {
    it(`reads '${cron}'`, () => {
      expect(next(cron, from, expected.length)).toEqual(expected);
    });
  }

  it('ORs day-of-month and day-of-week when asked to, as classic cron', () => {
    expect(next('0 0 13 * 5', '2026-02-01T00:00:00Z', 4, 'UTC', 'or')).toEqual([
      '2026-02-06T00:00:00Z',
      '2026-02-13T00:00:00Z',
      '2026-02-20T00:00:00Z',
      '2026-02-27T00:00:00Z',
    ]);
    // With one of them `*`, both modes agree.
    expect(next('0 0 13 * *', '2026-02-01T00:00:00Z', 2, 'UTC', 'or')).toEqual(next('0 0 13 * *', '2026-02-01T00:00:00Z', 2));
  });

  it('reads names and macros in any case', () => {
    expect(next('0 0 * jan mon', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-05T00:00:00Z']);
    expect(next('@DAILY', '2026-01-01T10:00:00Z', 1)).toEqual(['2026-01-02T00:00:00Z']);
  });

  it('finds previous occurrences, latest first', () => {
    const schedule = CronSchedule.parse('0 0 L * *', 'UTC');
    expect(schedule.previousN(new Date('2026-03-31T00:00:00Z'), 2).map((d) => d.toISOString())).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
    ]);
  });

  const invalid: Array<[string, RegExp]> = [
    ['* * 1,2W * *', /dayOfMonth field: .*W follows one day number/],
    ['*/60 * * * *', /minute field: step 60 is out of range 1-59/],
    ['* * * * 0#', /dayOfWeek field: .*# takes a day and a week number/],
    ['* * * * MON#6', /dayOfWeek field: .*the week number must be 1-5/],
    ['61 * * * *', /minute field: 61 is out of range 0-59/],
    ['* 24 * * *', /hour field: 24 is out of range 0-23/],
    ['* * 0 * *', /dayOfMonth field: 0 is out of range 1-31/],
    ['* * * 13 *', /month field: 13 is out of range 1-12/],
    ['* * * FOO *', /month field: "FOO" is not a number or a name/],
    ['* * L,3 * *', /dayOfMonth field: .*L stands alone/],
    ['* * * *', /expected 5 fields .* got 4/],
    ['* * * * * * *', /expected 5 fields .* got 7/],
    ['@often', /unknown macro/],
    ['1-2-3 * * * *', /minute field: "1-2-3" is not a range/],
    ['1,,2 * * * *', /minute field: an empty item/],
    ['0 0 30 2 *', /it never fires/],
    ['? * * * *', /minute field: "\?" is not a number/],
  ];
  for (const [cron, message] of invalid) {
    it(`refuses '${cron}' with a typed error that says what is wrong`, () => {
      expect(() => parseCron(cron) && CronSchedule.parse(cron)).toThrow(message);
      try {
        CronSchedule.parse(cron, 'UTC', 'recurring "r"');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain('recurring "r".cron');
        expect((error as { cause?: { code?: string } }).cause?.code).toBe('ERR_INVALID_CRON');
      }
    });
  }
});
