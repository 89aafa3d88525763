import { describe, expect, it } from 'vitest';

import { describeCron } from '@spool/dashboard';

describe('describeCron', () => {
  it('describes common schedules in plain language', () => {
    expect(describeCron('0 2 * * *')).toBe('At 02:00 every day');
    expect(describeCron('*/5 * * * *')).toBe('Every 5 minutes');
    expect(describeCron('* * * * *')).toBe('Every minute');
    expect(describeCron('0 * * * *')).toBe('Every hour');
    expect(describeCron('15 * * * *')).toBe('At minute 15 of every hour');
    expect(describeCron('0 */6 * * *')).toBe('Every 6 hours at minute 0');
    expect(describeCron('30 9 * * 1-5')).toBe('At 09:30 on weekdays');
    expect(describeCron('0 9 * * 1')).toBe('At 09:00 on Monday');
    expect(describeCron('0 9 1 * *')).toBe('At 09:00 on the 1st of every month');
    expect(describeCron('0 0 1 1 *')).toBe('At 00:00 on the 1st of January');
    expect(describeCron('@daily')).toBe('At 00:00 every day');
    expect(describeCron('0 8,12,18 * * *')).toBe('At 08:00, 12:00, 18:00 every day');
  });

  it('returns null for a pattern it cannot describe, so the raw expression is shown', () => {
    expect(describeCron('5-10 3 * * *')).toBeNull();
    expect(describeCron('0 0 L * *')).toBeNull();
    expect(describeCron('not a cron')).toBeNull();
  });
});
