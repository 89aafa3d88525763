/**
 * @spool/conformance: the storage contract's test suite. Every Spool storage runs all of it from one
 * test file; a storage that does not pass is not shipped.
 */
export { runStorageConformance } from './run-storage-conformance.js';
export type { ConformanceTarget } from './conformance-target.js';
export { historyViolations, historyEdges, allTransitionEdges, expectValidHistories } from './transitions-check.js';
export type { TransitionEdge } from './transitions-check.js';
export { newJobRecord } from './harness.js';
