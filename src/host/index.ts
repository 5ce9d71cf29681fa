/** @module host: the only code that touches /sys/fs/cgroup, /proc and signals. */
export * from './mountinfo.js';
export * from './poll-until.js';
export * from './cgroup-v2-root.js';
export * from './cgroup-v2.js';
export * from './cgroup-spawn.js';
export * from './cgroup-v1.js';
export * from './cgroup-path.js';
export * from './proc.js';
export * from './proc-fd.js';
export * from './proc-net.js';
export * from './capabilities.js';
export * from './cgroup-find.js';
export * from './actuate.js';
export * from './link-reaper.js';
