import { createHash } from 'node:crypto';

import { JOB_CLAIM_LUA, JOB_LEASE_EXTEND_LUA, JOB_PROGRESS_SET_LUA, JOBS_COMPLETE_LUA, JOBS_CREATE_LUA, JOBS_FETCH_LUA } from './jobs-write.lua.js';
import { JOB_EXPIRATION_SET_LUA, JOB_LOGS_APPEND_LUA, JOB_PARAMETER_SET_LUA, JOB_SET_STATE_LUA } from './job-updates.lua.js';
import { LIB_LUA } from './lib.lua.js';
import { JOBS_EXPIRE_LUA, LEASES_RESCUE_EXPIRED_LUA, QUEUE_PAUSE_SET_LUA, SCHEDULED_PROMOTE_DUE_LUA } from './maintenance.lua.js';
import { JOB_DETAILS_LUA, JOBS_LIST_LUA, META_MIGRATE_LUA, QUEUES_LUA, STATS_LUA } from './monitoring.lua.js';
import {
  RECURRING_DUE_LUA,
  RECURRING_FIRE_LUA,
  RECURRING_LIST_LUA,
  RECURRING_PAUSE_SET_LUA,
  RECURRING_REMOVE_LUA,
  RECURRING_UPSERT_LUA,
} from './recurring.lua.js';
import { SERVER_HEARTBEAT_LUA, SERVER_REMOVE_LUA, SERVERS_LIST_LUA, SERVERS_REMOVE_DEAD_LUA } from './servers.lua.js';

/** One storage operation's Lua script: its full text (library included) and its SHA1 for EVALSHA. */
export interface LuaScript {
  readonly name: string;
  readonly text: string;
  readonly sha: string;
}

function script(name: string, body: string): LuaScript {
  const text = `-- spool: ${name}\n${LIB_LUA}\n${body}`;
  return { name, text, sha: createHash('sha1').update(text).digest('hex') };
}

/** Every script of the Redis storage, by operation. Each is the shared library followed by the operation. */
export const SCRIPTS = {
  jobsCreate: script('jobs_create', JOBS_CREATE_LUA),
  jobsFetch: script('jobs_fetch', JOBS_FETCH_LUA),
  jobClaim: script('job_claim', JOB_CLAIM_LUA),
  jobsComplete: script('jobs_complete', JOBS_COMPLETE_LUA),
  jobLeaseExtend: script('job_lease_extend', JOB_LEASE_EXTEND_LUA),
  jobProgressSet: script('job_progress_set', JOB_PROGRESS_SET_LUA),
  jobSetState: script('job_set_state', JOB_SET_STATE_LUA),
  jobParameterSet: script('job_parameter_set', JOB_PARAMETER_SET_LUA),
  jobExpirationSet: script('job_expiration_set', JOB_EXPIRATION_SET_LUA),
  jobLogsAppend: script('job_logs_append', JOB_LOGS_APPEND_LUA),
  scheduledPromoteDue: script('scheduled_promote_due', SCHEDULED_PROMOTE_DUE_LUA),
  leasesRescueExpired: script('leases_rescue_expired', LEASES_RESCUE_EXPIRED_LUA),
  jobsExpire: script('jobs_expire', JOBS_EXPIRE_LUA),
  queuePauseSet: script('queue_pause_set', QUEUE_PAUSE_SET_LUA),
  recurringUpsert: script('recurring_upsert', RECURRING_UPSERT_LUA),
  recurringList: script('recurring_list', RECURRING_LIST_LUA),
  recurringRemove: script('recurring_remove', RECURRING_REMOVE_LUA),
  recurringPauseSet: script('recurring_pause_set', RECURRING_PAUSE_SET_LUA),
  recurringDue: script('recurring_due', RECURRING_DUE_LUA),
  recurringFire: script('recurring_fire', RECURRING_FIRE_LUA),
  serverHeartbeat: script('server_heartbeat', SERVER_HEARTBEAT_LUA),
  serverRemove: script('server_remove', SERVER_REMOVE_LUA),
  serversRemoveDead: script('servers_remove_dead', SERVERS_REMOVE_DEAD_LUA),
  serversList: script('servers_list', SERVERS_LIST_LUA),
  stats: script('stats', STATS_LUA),
  queues: script('queues', QUEUES_LUA),
  jobDetails: script('job_details', JOB_DETAILS_LUA),
  jobsList: script('jobs_list', JOBS_LIST_LUA),
  metaMigrate: script('meta_migrate', META_MIGRATE_LUA),
} as const;

/** The name of a storage script. */
export type ScriptName = keyof typeof SCRIPTS;
