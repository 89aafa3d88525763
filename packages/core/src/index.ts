/**
 * @spool/core: Spool's domain and engine. Imports no database and no HTTP: storages plug in
 * through the storage contract. Helpers for storage authors are in `@spool/core/storage-kit`.
 */
export * from './errors.js';
export { Spool } from './client/spool.js';
export type { SpoolOptions, SpoolRuntime, JobView, ScheduleOptions, ContinuationOptions, JobTarget } from './client/spool.js';
export type { EnqueueOptions } from './client/enqueue-options.js';
export type { ChangeJobOptions } from './client/job-changer.js';
export { DeadLettersManager, REDRIVE_REASON } from './client/dead-letters-manager.js';
export type { RedriveTarget, RedriveOptions, RedriveReport } from './client/dead-letters-manager.js';
export type { GetJobOptions } from './client/job-payloads.js';
export type { JobPayloads, PayloadSummary } from './job/job-view.js';
export { FolderFileStore } from './files/folder-file-store.js';
export { checkFileKey, isFileStore, MAX_FILE_KEY_LENGTH } from './files/file-store.js';
export type { FileStore, FileInfo, FileListPage, OpenedFile, PutOptions } from './files/file-store.js';
export {
  Payloads,
  payloadReference,
  payloadKey,
  readPayload,
  PAYLOAD_MARKER,
  PAYLOAD_PREFIX,
  DEFAULT_OFFLOAD_ABOVE_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
} from './files/payloads.js';
export type { PayloadOptions, PayloadReference, PayloadSlot } from './files/payloads.js';
export { sweepPayloads, PAYLOAD_SWEEP_GRACE_MS } from './files/payload-sweep.js';
export type { PayloadSweepResult } from './files/payload-sweep.js';
export type { ClientEvents, EnqueuedJob } from './client/client-events.js';
export { RecurringManager, MISFIRE_GRACE_MS, BACKFILL_LIMIT } from './client/recurring-manager.js';
export { LimitsManager } from './client/limits-manager.js';
export type { LimitView, SetLimitsOptions } from './client/limits-manager.js';
export type { QueueOptions } from './client/queue-options.js';
export type { FullPolicy } from './client/queue-room-waiter.js';
export { FULL_QUEUE_POLL_MS } from './client/queue-room-waiter.js';
export type { RecurringOptions, BackfillResult, OccurrencesResult, PreviousOccurrence } from './client/recurring-manager.js';
export { defineJob, isJobDefinition, DEFAULT_ATTEMPTS, DEFAULT_RETENTION_MS, DEFAULT_JOB_OPTIONS } from './job/definition.js';
export type { JobDefinition, JobDefinitionOptions, JobHandler, JobOptions, ResolvedJobOptions, BackoffOption, ExecutionMode, ExhaustedRoute } from './job/definition.js';
export type { JobContext, JobLogger, ParentJob, StepParent, JobEnqueuer } from './job/job-context.js';
export { BatchBuilder } from './client/batch-builder.js';
export type { BatchOptions, BatchContinuationOptions, BatchJobOptions } from './client/batch-builder.js';
export { BatchesManager } from './client/batches-manager.js';
export type { BatchView, CreateBatchOptions } from './client/batches-manager.js';
export type { FlowStep, FlowDependency, FlowOptions, CreatedFlow } from './client/flow-planner.js';
export { batchCountsDelta, batchFinishes, addBatchCounts } from './flows/batch-counts.js';
export type { BatchCounts, BatchProgress } from './flows/batch-counts.js';
export { dependencyIntent, dependencyOutcome, dependencyError, DEPENDENCY_TEXTS, DEPENDENCY_POLICIES } from './flows/dependency.js';
export type { Dependency, DependencyPolicy, DependencyParentKind } from './flows/dependency.js';
export { orderFlowSteps } from './flows/flow-graph.js';
export type { FlowGraphStep } from './flows/flow-graph.js';
export { BATCH_PARAMETER, STEP_PARAMETER, PARENTS_PARAMETER, AFTER_BATCH_PARAMETER } from './flows/flow-parameters.js';
export type * from './job/records.js';
export { DEFAULT_RECURRING_SETTINGS } from './job/records.js';
export { toJsonArgs, DEFAULT_MAX_ARGS_BYTES } from './job/json-args.js';
export { toErrorRecord, fromErrorRecord } from './job/error-record.js';
export type { JobClass } from './job/method-call.js';
export type { ClassRegistration } from './job/registry.js';
export { JOB_STATES, STATE_FACTS, TRANSITIONS, CREATED, canTransition, sourcesOf, isJobState, continuationOutcome, initialState, CONTINUATION_TEXTS } from './states/states.js';
export type { JobState, StateFacts, ContinuationOn } from './states/states.js';
export { decideStateChange, uniqueKeyReleasedReason, SERIES_BUCKET_MS } from './states/state-change.js';
export type { ChangeCause, StateChange, StateChangeRequest, Assign } from './states/state-change.js';
export {
  claimIntent,
  completionIntent,
  operatorIntent,
  rescueIntent,
  continuationIntent,
  limitSkipIntent,
  poisonError,
  CLAIM_NOW_INTENT,
  PROMOTION_INTENT,
  RESCUE_TEXTS,
  CLAIM_TEXTS,
} from './states/change-intents.js';
export type { ChangeIntent } from './states/change-intents.js';
export { decideJobChange, decideDuplicate, WAITING_CHANGES, JOB_CHANGE_TEXTS } from './states/job-change.js';
export { START_DEADLINE_PARAMETER, startDeadlineParameter, withStartDeadline, readStartDeadline, decideLateStart, lateStartFailure, lateStartDeletion } from './job/start-deadline.js';
export type { OnExpire, StartDeadline, LateStart } from './job/start-deadline.js';
export type { JobChange, JobChangeCause, JobChangeField, JobChangeFacts, JobChangeWrite, JobChangeDecision, DuplicateDecision } from './states/job-change.js';
export { decideRedrive, REDRIVE_TEXTS } from './states/redrive.js';
export type { RedriveFacts, RedriveDecision } from './states/redrive.js';
export { shapeOf, assertWritesShape, assertFixedWrite, FIXED_WRITES, allChangeShapes, causeVariant, CAUSE_VARIANTS } from './states/change-shape.js';
export type { ChangeShape } from './states/change-shape.js';
export type * from './storage/contract.js';
export { RECURRING_HISTORY_LIMIT } from './storage/contract.js';
export { recurringHistoryToWrite } from './storage/recurring-history.js';
export type { StorageCapabilities } from './storage/capabilities.js';
export { MemoryStorage } from './storage/memory/memory-storage.js';
export type { MemoryStorageRuntime } from './storage/memory/memory-storage.js';
export { defaultBackoffMs, retryDelayMs } from './filters/retry-policy.js';
export { CronSchedule, DEFAULT_CATCH_UP_LIMIT, isValidTimeZone } from './cron/cron-schedule.js';
export type { MisfireDecision } from './cron/cron-schedule.js';
export { parseCron } from './cron/cron-expression.js';
export type { CronDayMatch, DayOfMonthSpec, DayOfWeekSpec, ParsedCron } from './cron/cron-expression.js';
export { cron } from './cron/cron-helpers.js';
export { parseDuration } from './options/duration.js';
export { rateLimited } from './limits/rate-limited.js';
export { resolveLimits, describeLimits, scopeId, scopeOf, LIMIT_KEY_PARAMETER, MAX_LIMIT_KEY_LENGTH } from './limits/limits.js';
export type { Limits, LimitScope, LimitsOption, JobLimitsOption, PerKeyLimitOption, RateLimitOption, RateLimit } from './limits/limits.js';
export { limitsFromText, limitsAsText, scopeFromText } from './limits/limits-text.js';
export type { LimitsText, LimitsTextLabels } from './limits/limits-text.js';
export type { Duration } from './options/duration.js';
export { Server } from './server/server.js';
export type { ServerOptions, ResolvedServerOptions } from './server/server-options.js';
export type { ServerEvents } from './server/server-events.js';
export type { Logger } from './server/logger.js';
export { isLogger } from './server/logger.js';
export { attachServerLogger } from './server/server-logger.js';
export type { LoggedServer } from './server/server-logger.js';
export type { PerformResult } from './server/perform.js';
export { SpoolMetrics, DEFAULT_METRICS_BUCKETS } from './metrics/spool-metrics.js';
export type { MetricsHost, SpoolMetricsOptions } from './metrics/spool-metrics.js';
export { EXPOSITION_CONTENT_TYPE } from './metrics/exposition.js';
export { readJobMetrics, summarizeMetrics, JOB_METRICS_WINDOWS } from './metrics/job-metrics.js';
export type { JobMetricsReport, JobMetricsRow, JobMetricsPoint, JobMetricsWindow, TimePercentiles } from './metrics/job-metrics.js';
export { MetricsRecorder, METRICS_RETENTION_MS, METRICS_PERIOD_MS, periodStart } from './metrics/metrics-recorder.js';
export { timeBin, binValue, histogramQuantile, LAST_TIME_BIN } from './metrics/time-histogram.js';
export type { TimeHistogram } from './metrics/time-histogram.js';
export type * from './storage/metrics-contract.js';
export { METRICS_SERIES } from './storage/metrics-contract.js';
export type * from './storage/audit-contract.js';
export type * from './storage/dead-letters-contract.js';
export { DEAD_LETTER_REDRIVE_BATCH } from './storage/dead-letters-contract.js';
export type * from './storage/flows-contract.js';
export { AUDIT_LOG_LIMIT, AUDIT_TARGETS_LIMIT } from './storage/audit-contract.js';
export type { ServerHost } from './server/server-host.js';
export type { JobRunSpan, JobTelemetry } from './telemetry/job-telemetry.js';
export type { MeterProviderLike, TelemetryOptions, TracerProviderLike } from './telemetry/telemetry.js';
export { TRACE_CONTEXT_PARAMETER } from './telemetry/trace-context.js';
export { ManualClock, systemClock } from './util/clock.js';
export type { Clock } from './util/clock.js';
export { systemRuntime, resolveRuntime } from './util/runtime.js';
export type { Runtime, RuntimeOptions, Timer } from './util/runtime.js';
export { ManualRuntime } from './util/manual-runtime.js';
export { UuidV7Generator, isUuid } from './util/uuid.js';
export { TypedEmitter } from './util/typed-emitter.js';
