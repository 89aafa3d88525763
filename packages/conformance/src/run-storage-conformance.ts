import { describe } from 'vitest';

import { auditTests } from './audit.js';
import { batchesAndFlowsTests } from './batches-and-flows.js';
import { completeTests } from './complete.js';
import { concurrencyTests } from './concurrency.js';
import type { ConformanceTarget } from './conformance-target.js';
import { continuationsTests } from './continuations.js';
import { deadLettersTests } from './dead-letters.js';
import { decodeErrorTests } from './decode-error.js';
import { duplicatesTests } from './duplicates.js';
import { eventsTests } from './events.js';
import { expirationTests } from './expiration.js';
import { fastAndGeneralTests } from './fast-and-general.js';
import { fetchTests } from './fetch.js';
import { flowControlTests } from './flow-control.js';
import { flowControlHandoverTests } from './flow-control-handover.js';
import { flowControlPauseTests } from './flow-control-pause.js';
import { hostileStringsTests } from './hostile-strings.js';
import { jobsCreateTests } from './jobs-create.js';
import { largeBatchesTests } from './large-batches.js';
import { leasesAndRescueTests } from './leases-and-rescue.js';
import { lifecycleTests } from './lifecycle.js';
import { metricsTests } from './metrics.js';
import { monitoringTests } from './monitoring.js';
import { listOrderTests } from './list-order.js';
import { parametersProgressLogsTests } from './parameters-progress-logs.js';
import { queueBoundsTests } from './queue-bounds.js';
import { queuesTests } from './queues.js';
import { recurringTests } from './recurring.js';
import { scheduledTests } from './scheduled.js';
import { serversTests } from './servers.js';
import { startDeadlinesTests } from './start-deadlines.js';
import { stateChangesTests } from './state-changes.js';
import { transitionsTests } from './transitions.js';
import { waitingChangesTests } from './waiting-changes.js';

/**
 * Registers the whole storage conformance suite (vitest `describe`/`it` blocks) for one storage.
 * Call it at the top level of a test file; every test gets a fresh storage from `target.create`
 * on a manual clock, and closes it afterwards.
 */
export function runStorageConformance(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    lifecycleTests(target);
    jobsCreateTests(target);
    fetchTests(target);
    completeTests(target);
    fastAndGeneralTests(target);
    leasesAndRescueTests(target);
    stateChangesTests(target);
    waitingChangesTests(target);
    startDeadlinesTests(target);
    duplicatesTests(target);
    deadLettersTests(target);
    continuationsTests(target);
    batchesAndFlowsTests(target);
    largeBatchesTests(target);
    scheduledTests(target);
    expirationTests(target);
    parametersProgressLogsTests(target);
    hostileStringsTests(target);
    recurringTests(target);
    serversTests(target);
    queuesTests(target);
    monitoringTests(target);
    listOrderTests(target);
    metricsTests(target);
    auditTests(target);
    eventsTests(target);
    decodeErrorTests(target);
    concurrencyTests(target);
    flowControlTests(target);
    flowControlPauseTests(target);
    flowControlHandoverTests(target);
    queueBoundsTests(target);
    transitionsTests(target);
  });
}
