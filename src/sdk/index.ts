/**
 * @module sdk: the package's public API (`import { openRecorder } from 'agentprov'`). Declare a run and run
 * each tool call through it: one cgroup v2 leaf per tool call, every kernel event attributed to it.
 */
export { openRecorder, Recorder, RunHandle, type RecorderOptions, type RunSpec, type ToolCallDeclaration, type RunResult } from './recorder.js';
export { ToolCall, type ToolCallProcess, type ToolCallResult, type ToolCallSpawnOptions, type ProcessExit, type EndOptions } from './tool-call.js';
export { RECORD_EXIT, type CaptureMode, type SnapshotOptions } from '../record/index.js';
export type { FileChangeRecord, FileWriter, OrphanRecord, RecordOutcome } from '../store/index.js';
export type { RiskSignal, ResponseAction, RuntimeEvent, ToolCallScope } from '../model/index.js';
export type { RunVerification } from '../store/verify-run.js';
