/** The quoted names of Spool's tables under one prefix. */
export interface Tables {
  jobs: string;
  enqueueSeq: string;
  history: string;
  logs: string;
  counters: string;
  pausedQueues: string;
  recurring: string;
  recurringHistory: string;
  servers: string;
  limits: string;
  gates: string;
  metrics: string;
  audit: string;
  batches: string;
  dependencies: string;
}

/** The tables under `prefix` (already checked to be letters, digits and underscores). */
export function tablesOf(prefix: string): Tables {
  const name = (table: string): string => `\`${prefix}${table}\``;
  return {
    jobs: name('jobs'),
    enqueueSeq: name('enqueue_seq'),
    history: name('history'),
    logs: name('logs'),
    counters: name('counters'),
    pausedQueues: name('paused_queues'),
    recurring: name('recurring'),
    recurringHistory: name('recurring_history'),
    servers: name('servers'),
    limits: name('limits'),
    gates: name('gates'),
    metrics: name('metrics'),
    audit: name('audit'),
    batches: name('batches'),
    dependencies: name('dependencies'),
  };
}
