/** @module respond: responders — cgroup kill/freeze, signals, Docker, the sensor's quarantine — and the engine's live Responder. */
export * from './target.js';
export * from './effect.js';
export * from './clock.js';
export * from './act-cgroup.js';
export * from './act-process.js';
export * from './act-docker.js';
export * from './docker-control.js';
export * from './actuator.js';
export * from './cgroup-locator.js';
export * from './plan.js';
export * from './kernel-containment.js';
export * from './live-responder.js';
