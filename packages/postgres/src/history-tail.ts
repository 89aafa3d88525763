/**
 * A job row holds the history entries of its latest attempt (`tail`, migration 4): the claim and the
 * completion write them there instead of appending history rows. Before any other change overwrites
 * them, they are copied into the history table ("spilled"), in order; `job_history` defines both.
 */

/**
 * The INSERT that spills the row-held entries of the jobs matched by `jobIds` (an SQL expression to
 * compare `job_id` with, such as `$1` or `ANY(...)`). Run it in the statement or transaction that
 * then clears `tail`.
 */
export const spillSql = (s: string, jobIds: string): string => `INSERT INTO ${s}.history (job_id, state, reason, data, at, server_id)
  SELECT job_id, state, reason, data, at, server_id FROM ${s}.job_history WHERE job_id = ${jobIds} AND part >= 2 ORDER BY job_id, part`;
