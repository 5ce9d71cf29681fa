/** @module record: `agentprov record -- cmd` building blocks: /proc polling capture and workdir snapshots. */
export * from './proc-poller.js';
export * from './snapshot.js';
export * from './snapshot-blob-store.js';
export * from './snapshot-glob.js';
export * from './snapshot-diff.js';
export * from './snapshot-unified-diff.js';
