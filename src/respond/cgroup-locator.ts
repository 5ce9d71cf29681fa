/**
 * @module respond/cgroup-locator: cgroup v2 id -> directory, cached. Evidence names cgroups by id (what the
 * kernel reports); writing cgroup.kill needs the directory. A cached path is re-checked by inode before use,
 * since a cgroup can be removed and its name reused.
 */
import { cgroup2DirOf, cgroupIdAt, findCgroup2Dir, findCgroup2Root } from '../host/index.js';

export class CgroupLocator {
  readonly #cache = new Map<string, string>();
  readonly #root: string | null;

  constructor(root: string | null = findCgroup2Root()) {
    this.#root = root;
  }

  /** Tells the locator where a leaf is (whoever created it knows), saving a walk later. */
  remember(id: string, path: string): void {
    this.#cache.set(id, path);
  }

  /**
   * The directory of cgroup `id`: the cache, then each hint (an event's cgroup_path, /proc-style or absolute),
   * then a walk of the cgroup2 hierarchy. Null when the cgroup no longer exists.
   */
  locate(id: string, hints: readonly (string | null | undefined)[] = []): string | null {
    const cached = this.#cache.get(id);
    if (cached !== undefined) {
      if (cgroupIdAt(cached) === id) return cached;
      this.#cache.delete(id);
    }
    for (const hint of hints) {
      if (!hint) continue;
      const dir = cgroup2DirOf(hint);
      if (dir !== null && cgroupIdAt(dir) === id) {
        this.#cache.set(id, dir);
        return dir;
      }
    }
    const found = findCgroup2Dir(id, this.#root);
    if (found !== null) this.#cache.set(id, found);
    return found;
  }
}
