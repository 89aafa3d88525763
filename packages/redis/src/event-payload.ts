import type { JobState, StorageEvent } from '@spool/core';

/**
 * Parses the events payload a script returns and publishes: one event per line, `q <queue>`
 * (jobs-enqueued), `s <ms>` (jobs-scheduled), `j <id> <state>` (job-state).
 */
export function parseEvents(payload: string): StorageEvent[] {
  if (payload === '') return [];
  const events: StorageEvent[] = [];
  for (const line of payload.split('\n')) {
    const kind = line.charCodeAt(0);
    if (kind === 113 /* q */) events.push({ type: 'jobs-enqueued', queues: [line.slice(2)] });
    else if (kind === 115 /* s */) events.push({ type: 'jobs-scheduled', earliestRunAt: Number(line.slice(2)) });
    else if (kind === 106 /* j */) {
      const space = line.indexOf(' ', 2);
      events.push({ type: 'job-state', id: line.slice(2, space), state: line.slice(space + 1) as JobState });
    }
  }
  return events;
}
