/** @module correlate: process tree (pid reuse by start time), scope index, binding rules -> Correlation, late binding. */
export { CONTAINER_ID_MIN, containerIdKey, containerIdsMatch, normalizeContainerId } from './container-id.js';
export { MAX_ANCESTRY_DEPTH, ProcessTree, procKey, type ProcKey, type ProcessInstance } from './process-tree.js';
export { isInWindow, ScopeIndex, scopeId, type IndexedScope } from './scope-index.js';
export { Correlator, recorrelate } from './correlator.js';
