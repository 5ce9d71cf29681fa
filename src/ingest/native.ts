/**
 * @module ingest/native: lines that already are RuntimeEvents (our own JSONL), validated strictly.
 *
 * Not a hot path, so the schema itself checks every line; an unknown field is an error that names it,
 * since a misspelt field (`containerid`) would otherwise silently lose attribution evidence.
 */
import { RuntimeEventSchema } from '../model/index.js';
import { normalizeContainerId } from '../correlate/index.js';
import { type MapContext, type MapResult, REJECT, stampEvents } from './mapper.js';

/** The event_id domain of native lines: the bytes are ours, whatever `source` the event names. */
export const NATIVE_ID_SOURCE = 'native_jsonl';

/**
 * Maps one native line. event_id and raw_ref are recomputed from this line: ids stay content addresses
 * of the input, and a line cannot claim another event's id.
 */
export function mapNative(obj: unknown, ctx: MapContext): MapResult {
  const parsed = RuntimeEventSchema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    // zod reports an unknown key at its parent; name the key itself.
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
    const field = path.join('.');
    const result: MapResult = { ok: false, code: REJECT.schema, message: issue.message };
    if (field !== '') result.field = field;
    return result;
  }
  const ev = parsed.data;
  if (ev.host === '' && ctx.host) ev.host = ctx.host;
  if (ev.container_id !== undefined) ev.container_id = normalizeContainerId(ev.container_id);
  return { ok: true, events: stampEvents([ev], NATIVE_ID_SOURCE, ctx) };
}
