/**
 * @spool/core/storage-kit: helpers for the authors of storages (and of read models such as the
 * dashboard), kept out of the end-user entry point `@spool/core`. Cursors and id ranges for the
 * monitoring read model, the replacement of values no storage can keep, the recurring settings
 * codec, the start-once helper, and option resolution with "did you mean" suggestions.
 */
export { encodeCursor, decodeCursor, matchesSearch, bucketStarts, MAX_TIME_SERIES_BUCKETS, lowerIdAt, idRange } from './storage/monitoring-helpers.js';
export type { NameCursor, NameOrderRead } from './storage/name-order.js';
export { pageInNameOrder, encodeNameCursor, decodeNameCursor, compareInNameOrder } from './storage/name-order.js';
export {
  REPLACEMENT_CHARACTER,
  isStorableText,
  storableText,
  isStorableJson,
  storableJson,
  storableError,
  storableCompletion,
  storableCompletions,
  storableLogs,
  storableParameter,
  storableStateChange,
  storableJobChange,
  storableNewJobs,
  storableAuditEntry,
  storableRedrive,
} from './storage/storable-text.js';
export { byCountThenName } from './storage/dead-letters-contract.js';
export { redriveFactsOfRow } from './states/redrive.js';
export { planRedrives, redriveResults } from './storage/redrive-batch.js';
export type { PlannedRedrive } from './storage/redrive-batch.js';
export { auditEntryFromRow, metricsCountFromRow } from './storage/stored-rows.js';
export { FLOW_MEMBER, FLOW_PARENT, planFlowCreation, checkExistingBatches, batchRecordFromRow } from './storage/flow-creation.js';
export type { FlowColumns, FlowCreationPlan } from './storage/flow-creation.js';
export { decodeRecurringSettings, encodeRecurringSettings } from './storage/recurring-settings-codec.js';
export { electFailure, formatDelay } from './filters/state-election.js';
export { resolveOptions, closest } from './options/resolve.js';
export type { OptionsSchema, OptionRule } from './options/resolve.js';
export { describe } from './options/duration.js';
export { StartOnce } from './util/start-once.js';
export { decideStateChange, uniqueKeyReleasedReason, SERIES_BUCKET_MS } from './states/state-change.js';
export type { ChangeCause, StateChange, StateChangeRequest, Assign } from './states/state-change.js';
export { admitJobs, limitsInForce, claimMayMeetLimits, fullGates, gateRulesOf, gatesOfJobs, isLimited, nextWindowOpening, windowStartOf, skippedReason, describeGate, EMPTY_GATE, KEY_SEPARATOR } from './limits/admission.js';
export { scopesOfClaim, keyedNames, keyedScopes, keyHeadRows } from './limits/claim-scopes.js';
export type { ScopesOfClaimOptions } from './limits/claim-scopes.js';
export type { Admission, AdmissionInput, GateRule, GateState, LimitedJob, LimitsInForce } from './limits/admission.js';
export { gateToPause, pauseCandidatesOf } from './limits/rate-limited.js';
export { handoverGate, handoverScopes } from './limits/handover.js';
export type { HandoverScopes } from './limits/handover.js';
export { boundedAdditions, boundScopesOf, checkQueueRoom, queueBoundsInForce, queueBoundsOfRows } from './limits/queue-bound.js';
export type { QueueBounds } from './limits/queue-bound.js';
export { waitReasonOf, gateInWords } from './limits/wait-reason.js';
export { limitsFromJson, limitsToJson, sameLimits, checkScope, checkLimitKey } from './limits/limits.js';
