/** @module ingest/detect: which producer wrote a line, for `--format auto` (decided per line). */
import { isRecord } from './mapper.js';
import { tetragonEventKey } from './tetragon.js';

export type SourceFormat = 'falco' | 'tetragon' | 'native';

/**
 * falco: output_fields, or rule + priority; tetragon: exactly one event key (process_exec, ...);
 * native: type + source. Null when none fits (the line is then rejected as AP_UNKNOWN_FORMAT).
 */
export function detectFormat(obj: unknown): SourceFormat | null {
  if (!isRecord(obj)) return null;
  if (isRecord(obj.output_fields) || (typeof obj.rule === 'string' && typeof obj.priority === 'string')) return 'falco';
  if (tetragonEventKey(obj) !== null) return 'tetragon';
  if (typeof obj.type === 'string' && typeof obj.source === 'string') return 'native';
  return null;
}
