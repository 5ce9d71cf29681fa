/** @module ingest: JSONL from Falco, Tetragon or agentprov itself -> RuntimeEvents, with a line-exact manifest. */
export { readNumberedLines } from './line-reader.js';
export type { LineInput, NumberedLine, NumberedLineReader, ReadOptions } from './line-reader.js';
export { normalizeContainerId, containerIdsMatch, CONTAINER_ID_MIN as MIN_CONTAINER_ID_PREFIX } from '../correlate/index.js';
export { REJECT, isoTextToNs, splitArgs } from './mapper.js';
export type { MapContext, MapResult, Mapper } from './mapper.js';
export { mapFalco, FALCO_DROP_RULE } from './falco.js';
export { mapTetragon, tetragonEventKey, TETRAGON_EVENT_KEYS } from './tetragon.js';
export type { TetragonEventKey } from './tetragon.js';
export { decodeExecId } from './tetragon-process.js';
export type { ExecIdParts } from './tetragon-process.js';
export { hookBaseName, hookEventType } from './tetragon-hooks.js';
export { mapNative, NATIVE_ID_SOURCE } from './native.js';
export { detectFormat } from './detect.js';
export type { SourceFormat } from './detect.js';
export { ingestLines, mapLine, manifestFromSummary, MAPPERS, INGEST_FORMATS } from './ingest.js';
export type { IngestFormat, IngestOptions, IngestSummary, BatchSink } from './ingest.js';
