/**
 * @module ingest/container-id: one spelling for container ids from every producer, and the prefix match
 * that lets Falco's 12-character ids meet Tetragon's 31-character and full 64-character ones.
 */

// Kubernetes writes "<runtime>://<id>" (docker://, containerd://, cri-o://); any such scheme is dropped.
const RUNTIME_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Lower-case id without a runtime prefix; null for "host", "", "<NA>" and non-strings (no container). */
export function normalizeContainerId(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  let id = raw.trim();
  const scheme = RUNTIME_SCHEME.exec(id);
  if (scheme) id = id.slice(scheme[0].length);
  if (id === '' || id === 'host' || id === '<NA>') return null;
  return id.toLowerCase();
}

/** Shortest prefix accepted as the same container: docker's short id. */
export const MIN_CONTAINER_ID_PREFIX = 12;

/**
 * True when both name a container and one id is a prefix of the other, the shorter having at least 12
 * characters: the same container seen by Falco (12), Tetragon's `docker` field (31) and the runtime (64).
 */
export function containerIdsMatch(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = normalizeContainerId(a);
  const y = normalizeContainerId(b);
  if (x === null || y === null) return false;
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  return short.length >= MIN_CONTAINER_ID_PREFIX && long.startsWith(short);
}
