/** @module graph: canonical JSON, content addresses, DAG builders, explain and verify over plain data. */
export * from './canonical-json.js';
export { buildEdge, buildNode, edgeHash, nodeHash, toPlain } from './dag-builders.js';
export { deriveRunGraph, digestRunEvents, drawRunGraph, type RunGraph, type RunGraphFrame, type RunGraphInput } from './derive-run-graph.js';
export { withEventNode } from './event-node.js';
export { RunEventDigest } from './run-digest.js';
export { fallbackProcessKey, type RunGraphProcess } from './run-processes.js';
export { verifyGraph, type GraphProblem, type GraphProblemKind, type GraphVerification } from './verify-graph.js';
export {
  explain,
  type ExplainOptions,
  type ExplainResult,
  type ExplainStep,
  type ExplainTarget,
  type ExplainTargetKind,
  type GraphData,
} from './explain.js';
export { rawRefOf, summarizeNode } from './node-summary.js';
