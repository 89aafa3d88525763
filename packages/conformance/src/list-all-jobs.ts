import type { JobRecord, JobState, Storage } from '@spool/core';

/** Lists every job in the storage, newest first, following cursors. */
export async function listAllJobs(storage: Storage, filter: { state?: JobState; queue?: string; name?: string; search?: string } = {}, pageSize = 100): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100_000; page++) {
    const result: { jobs: JobRecord[]; nextCursor: string | null } = await storage.monitoring.jobsList({ ...filter, limit: pageSize, cursor });
    jobs.push(...result.jobs);
    if (result.nextCursor === null) return jobs;
    cursor = result.nextCursor;
  }
  throw new Error('jobsList kept returning cursors');
}
