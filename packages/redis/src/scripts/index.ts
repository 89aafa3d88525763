import { createHash } from 'node:crypto';

import { JOB_CLAIM_LUA, JOB_LEASE_EXTEND_LUA, JOB_PROGRESS_SET_LUA, JOBS_COMPLETE_LUA, JOBS_CREATE_LUA, JOBS_FETCH_LUA } from './jobs-write.lua.js';
import { JOBS_FETCH_CANDIDATES_LUA, JOBS_FETCH_GATED_LUA, LIMITS_GATES_LUA, LIMITS_LIST_LUA, LIMITS_SET_LUA } from './flow-control.lua.js';
import { JOB_CHANGE_LUA, JOB_EXPIRATION_SET_LUA, JOB_LOGS_APPEND_LUA, JOB_PARAMETER_SET_LUA, JOB_SET_STATE_LUA } from './job-updates.lua.js';
import { BATCH_CANCEL_MARK_LUA, BATCH_DESCENDANTS_LUA, BATCH_GET_LUA, BATCH_JOBS_LUA, BATCH_LIST_LUA, FLOWS_CREATE_LUA, FLOWS_CREATE_PART_LUA, FLOWS_STAGE_LUA } from './flows.lua.js';
import { LIB_LUA } from './lib.lua.js';
import { JOBS_EXPIRE_LUA, LEASES_RESCUE_EXPIRED_LUA, QUEUE_PAUSE_SET_LUA, SCHEDULED_PROMOTE_DUE_LUA } from './maintenance.lua.js';
import { AUDIT_APPEND_LUA, AUDIT_LIST_LUA } from './audit.lua.js';
import { JOBS_CREATE_REPLACING_LUA } from './duplicates.lua.js';
import { DEAD_LETTERS_GROUPS_LUA, DEAD_LETTERS_LIST_LUA, DEAD_LETTERS_REDRIVE_LUA } from './dead-letters.lua.js';
import { METRICS_EXPIRE_LUA, METRICS_READ_LUA, METRICS_RECORD_LUA } from './metrics.lua.js';
import { JOB_DETAILS_LUA, JOBS_LIST_LUA, LAYOUT_INDEX_KEYS_LUA, LAYOUT_INDEX_OCCURRENCES_LUA, META_MIGRATE_LUA, QUEUES_LUA, STATS_LUA } from './monitoring.lua.js';
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

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

/** A top-level definition of the library: its text, the names it defines and the names it uses. */
interface LibraryChunk {
  text: string;
  defines: string[];
  uses: Set<string>;
}

/** A top-level assignment of a function declared `local` earlier (`settle = function`), so that definitions before it can call it. */
const FORWARD_DEFINED = /^[A-Za-z_]\w* = function/;

/** The library cut into its top-level definitions (`local ...` statements and forward-defined functions). */
function libraryChunks(lib: string): LibraryChunk[] {
  const chunks: LibraryChunk[] = [];
  let current: string[] = [];
  const close = () => {
    const text = current.join('\n');
    const head = /^local function ([A-Za-z_]\w*)|^local ([A-Za-z_][\w, ]*?)\s*(?:=|$)|^([A-Za-z_]\w*) = function/m.exec(text);
    const defines = head === null ? [] : (head[1] ?? head[2] ?? head[3] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
    chunks.push({ text, defines, uses: new Set(text.match(IDENTIFIER) ?? []) });
    current = [];
  };
  for (const line of lib.split('\n')) {
    if ((/^local /.test(line) || FORWARD_DEFINED.test(line)) && current.some((l) => /^local /.test(l) || FORWARD_DEFINED.test(l))) close();
    current.push(line);
  }
  close();
  return chunks;
}

const CHUNKS = libraryChunks(LIB_LUA);

/**
 * The part of the library a script body needs: the definitions it names, and theirs in turn, in
 * library order. Every script runs its whole prelude on every call, so a fetch should not pay for
 * the definitions only job creation uses.
 */
function libraryFor(body: string): string {
  const wanted = new Set(body.match(IDENTIFIER) ?? []);
  const included = new Set<LibraryChunk>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const chunk of CHUNKS) {
      if (included.has(chunk) || !chunk.defines.some((name) => wanted.has(name))) continue;
      included.add(chunk);
      for (const name of chunk.uses) wanted.add(name);
      grew = true;
    }
  }
  return CHUNKS.filter((chunk) => included.has(chunk)).map((chunk) => chunk.text).join('\n');
}

function script(name: string, body: string): LuaScript {
  const text = `-- spool: ${name}\n${libraryFor(body)}\n${body}`;
  return { name, text, sha: createHash('sha1').update(text).digest('hex') };
}

/** Every script of the Redis storage, by operation. Each is the shared library followed by the operation. */
export const SCRIPTS = {
  jobsCreate: script('jobs_create', JOBS_CREATE_LUA),
  jobsCreateReplacing: script('jobs_create_replacing', JOBS_CREATE_REPLACING_LUA),
  jobsFetch: script('jobs_fetch', JOBS_FETCH_LUA),
  jobsFetchCandidates: script('jobs_fetch_candidates', JOBS_FETCH_CANDIDATES_LUA),
  jobsFetchGated: script('jobs_fetch_gated', JOBS_FETCH_GATED_LUA),
  jobClaim: script('job_claim', JOB_CLAIM_LUA),
  jobsComplete: script('jobs_complete', JOBS_COMPLETE_LUA),
  jobLeaseExtend: script('job_lease_extend', JOB_LEASE_EXTEND_LUA),
  jobProgressSet: script('job_progress_set', JOB_PROGRESS_SET_LUA),
  jobSetState: script('job_set_state', JOB_SET_STATE_LUA),
  jobChange: script('job_change', JOB_CHANGE_LUA),
  deadLettersList: script('dead_letters_list', DEAD_LETTERS_LIST_LUA),
  deadLettersGroups: script('dead_letters_groups', DEAD_LETTERS_GROUPS_LUA),
  deadLettersRedrive: script('dead_letters_redrive', DEAD_LETTERS_REDRIVE_LUA),
  jobParameterSet: script('job_parameter_set', JOB_PARAMETER_SET_LUA),
  jobExpirationSet: script('job_expiration_set', JOB_EXPIRATION_SET_LUA),
  jobLogsAppend: script('job_logs_append', JOB_LOGS_APPEND_LUA),
  scheduledPromoteDue: script('scheduled_promote_due', SCHEDULED_PROMOTE_DUE_LUA),
  leasesRescueExpired: script('leases_rescue_expired', LEASES_RESCUE_EXPIRED_LUA),
  jobsExpire: script('jobs_expire', JOBS_EXPIRE_LUA),
  queuePauseSet: script('queue_pause_set', QUEUE_PAUSE_SET_LUA),
  limitsSet: script('limits_set', LIMITS_SET_LUA),
  limitsList: script('limits_list', LIMITS_LIST_LUA),
  limitsGates: script('limits_gates', LIMITS_GATES_LUA),
  metricsRecord: script('metrics_record', METRICS_RECORD_LUA),
  auditAppend: script('audit_append', AUDIT_APPEND_LUA),
  auditList: script('audit_list', AUDIT_LIST_LUA),
  metricsRead: script('metrics_read', METRICS_READ_LUA),
  metricsExpire: script('metrics_expire', METRICS_EXPIRE_LUA),
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
  layoutIndexOccurrences: script('layout_index_occurrences', LAYOUT_INDEX_OCCURRENCES_LUA),
  layoutIndexKeys: script('layout_index_keys', LAYOUT_INDEX_KEYS_LUA),
  flowsCreate: script('flows_create', FLOWS_CREATE_LUA),
  flowsStage: script('flows_stage', FLOWS_STAGE_LUA),
  flowsCreatePart: script('flows_create_part', FLOWS_CREATE_PART_LUA),
  batchGet: script('batch_get', BATCH_GET_LUA),
  batchList: script('batch_list', BATCH_LIST_LUA),
  batchJobs: script('batch_jobs', BATCH_JOBS_LUA),
  batchDescendants: script('batch_descendants', BATCH_DESCENDANTS_LUA),
  batchCancelMark: script('batch_cancel_mark', BATCH_CANCEL_MARK_LUA),
} as const;

/** The name of a storage script. */
export type ScriptName = keyof typeof SCRIPTS;
