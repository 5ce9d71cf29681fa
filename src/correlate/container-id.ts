/**
 * @module correlate/container-id: one spelling for container ids from every producer, and the prefix match
 * that lets Falco's 12-character ids meet Tetragon's 31-character and the runtimes' 64-character ones.
 */

/** Shortest id that may stand for a container: docker's short form. Anything shorter is ambiguous. */
export const CONTAINER_ID_MIN = 12;

// Kubernetes writes "<runtime>://<id>" (docker://, containerd://, cri-o://); any such scheme is dropped.
const RUNTIME_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Lower-case, without a runtime scheme; null when there is no container ("host", empty, Falco's "<NA>", not a
 * string) or the id is too short to identify one.
 */
export function normalizeContainerId(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  let id = raw.trim();
  const scheme = RUNTIME_SCHEME.exec(id);
  if (scheme) id = id.slice(scheme[0].length);
  id = id.toLowerCase();
  if (id === '' || id === 'host' || id === '<na>' || id.length < CONTAINER_ID_MIN) return null;
  return id;
}

/**
 * Sources shorten ids differently (Falco 12 chars, Tetragon's `docker` field 31, runtimes 64): two ids name
 * the same container when, normalized, one is a prefix of the other.
 */
export function containerIdsMatch(a: unknown, b: unknown): boolean {
  const x = normalizeContainerId(a);
  const y = normalizeContainerId(b);
  if (x === null || y === null) return false;
  return x.length <= y.length ? y.startsWith(x) : x.startsWith(y);
}

/** The index key every form of an id shares. */
export function containerIdKey(normalized: string): string {
  return normalized.slice(0, CONTAINER_ID_MIN);
}
