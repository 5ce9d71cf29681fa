/** @module model: zod schemas and inferred types shared by every part of agentprov. */
export * from './runtime-event.js';
export * from './scope.js';
export * from './evidence.js';
export * from './dag.js';
export * from './time.js';
export * from './open-flags.js';
export * from './json.js';
export * from './redact.js';
export * from './event-subject.js';
export * from './event-json.js';
