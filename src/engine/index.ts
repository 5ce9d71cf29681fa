/** @module engine: the evidence pipeline (correlate -> policy -> decisions -> DAG) and its ports. */
export * from './ports.js';
export * from './verdict.js';
export * from './evidence-engine.js';
export * from './batch-stats.js';
export * from './normalize.js';
export * from './memory-sink.js';
export { JudgedQueue, MAX_QUEUED_EVENTS, WRITE_EVENTS, type JudgedQueueOptions } from './judged-queue.js';
