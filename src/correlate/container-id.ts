/** @module correlate/container-id: normalizing and matching container ids given at different lengths. */

/** Shortest id that may stand for a container: docker's short form. Anything shorter is ambiguous. */
export const CONTAINER_ID_MIN = 12;

const RUNTIME_PREFIX = /^(?:docker|containerd|cri-o|crio|podman):\/\//;

/**
 * Lower-case, without a runtime prefix (`docker://`, `containerd://`, `cri-o://`); null when there is no
 * container ("host", empty) or the id is too short to identify one.
 */
export function normalizeContainerId(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const id = raw.trim().toLowerCase().replace(RUNTIME_PREFIX, '');
  if (id === '' || id === 'host' || id.length < CONTAINER_ID_MIN) return null;
  return id;
}

/**
 * Sources shorten ids differently (Falco 12 chars, Tetragon's `docker` field 31, runtimes 64): two ids name
 * the same container when one is a prefix of the other. Both must already be normalized.
 */
export function containerIdsMatch(a: string, b: string): boolean {
  if (a.length < CONTAINER_ID_MIN || b.length < CONTAINER_ID_MIN) return false;
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/** The index key every form of an id shares. */
export function containerIdKey(normalized: string): string {
  return normalized.slice(0, CONTAINER_ID_MIN);
}
