/** The job parameter that names the batch a job is a member of (set at creation, read by `getJob` and the dashboard). */
export const BATCH_PARAMETER = 'spool.batch';
/** The job parameter that names a flow job's step. */
export const STEP_PARAMETER = 'spool.step';
/** The job parameter that maps a flow step's parent step names to their job ids, for `ctx.parents()`. */
export const PARENTS_PARAMETER = 'spool.parents';
/** The job parameter of a batch continuation: the batch it waits for (the dashboard lists the ones still waiting). */
export const AFTER_BATCH_PARAMETER = 'spool.afterBatch';
