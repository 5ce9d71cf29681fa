/**
 * @module record/proc-poller: the unprivileged fallback capture. Polls /proc for a process tree (and a
 * cgroup leaf) and turns what it sees into RuntimeEventInputs. Polling misses whatever lives shorter than
 * the interval; every event says so in its labels.
 */
import { statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { RuntimeEventInput } from '../model/index.js';
import { wallClockNs } from '../clock.js';
import {
  cgroupPathOfPid,
  containerIdFromCgroupPath,
  findCgroup2Mounts,
  listAllPids,
  listPids,
  openFlagsFromFdFlags,
  readCmdline,
  readCwd,
  readExe,
  readFdFlags,
  readFds,
  readMountInfo,
  readNamespaces,
  readNetSockets,
  readProcStat,
  readStatus,
  socketInode,
  type LeafRef,
  type MountInfoEntry,
  type NetSocket,
  type ProcStat,
} from '../host/index.js';

/** Wall-clock source for `time_ns` (epoch ns). */
export interface PollClock {
  nowNs(): bigint;
}

export const systemClock: PollClock = { nowNs: wallClockNs };

export interface ProcPollerOptions {
  rootPid: number;
  /** Every pid in this leaf is watched too, so orphans reparented away from rootPid are not lost. */
  cgroupLeaf?: LeafRef | null;
  intervalMs?: number;
  clock?: PollClock;
  host?: string;
  onEvents: (events: RuntimeEventInput[]) => void;
  /** Called with /proc errors other than "process gone"; without it they are only counted. */
  onError?: (err: unknown) => void;
}

export interface ProcPollerStats {
  polls: number;
  errors: number;
  events: number;
  lastPollMs: number;
  maxPollMs: number;
}

interface Tracked {
  stat: ProcStat;
  exe: string | null;
  argv: string[];
  exited: boolean;
  fdsSeen: Set<string>;
  socketsSeen: Set<number>;
}

// Writes there are terminals, pseudo-files and devices, not workdir changes.
const NOT_A_FILE = /^\/(dev|proc|sys)\//;

export class ProcPoller {
  readonly #opts: ProcPollerOptions;
  readonly #intervalMs: number;
  readonly #clock: PollClock;
  readonly #tracked = new Map<number, Tracked>();
  readonly #cgroupIds = new Map<string, string | null>();
  #cgroupMount: MountInfoEntry | null | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stats: ProcPollerStats = { polls: 0, errors: 0, events: 0, lastPollMs: 0, maxPollMs: 0 };

  constructor(opts: ProcPollerOptions) {
    this.#opts = opts;
    this.#intervalMs = opts.intervalMs ?? 20;
    this.#clock = opts.clock ?? systemClock;
  }

  /** Polls once now, then every intervalMs (the next poll is scheduled after one ends: never two at once). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const tick = (): void => {
      this.pollOnce();
      if (this.#running) this.#timer = setTimeout(tick, this.#intervalMs).unref();
    };
    tick();
  }

  /** Stops the timer after one last poll, so exits that happened since the previous poll are reported. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.pollOnce();
  }

  stats(): ProcPollerStats {
    return { ...this.#stats };
  }

  /** One poll: returns the events it also handed to onEvents (handy for tests and manual stepping). */
  pollOnce(): RuntimeEventInput[] {
    const began = performance.now();
    let events: RuntimeEventInput[] = [];
    try {
      events = this.#collect(this.#stats.polls === 0);
    } catch (err) {
      this.#stats.errors++;
      this.#opts.onError?.(err);
    }
    const took = performance.now() - began;
    this.#stats = {
      ...this.#stats,
      polls: this.#stats.polls + 1,
      events: this.#stats.events + events.length,
      lastPollMs: took,
      maxPollMs: Math.max(this.#stats.maxPollMs, took),
    };
    // Not caught: an exception from the consumer must not be lost in a timer (it becomes fatal).
    if (events.length > 0) this.#opts.onEvents(events);
    return events;
  }

  #collect(initial: boolean): RuntimeEventInput[] {
    const now = this.#clock.nowNs();
    const out: RuntimeEventInput[] = [];
    const stats = new Map<number, ProcStat>();
    const children = new Map<number, number[]>();
    for (const pid of listAllPids()) {
      const st = readProcStat(pid);
      if (!st) continue;
      stats.set(pid, st);
      const siblings = children.get(st.ppid);
      if (siblings) siblings.push(pid);
      else children.set(st.ppid, [pid]);
    }

    // Exits first: a tracked pid that is gone, a zombie, or reused by a process with another start time.
    for (const [pid, t] of this.#tracked) {
      const st = stats.get(pid);
      const same = st !== undefined && st.start_ticks === t.stat.start_ticks;
      if (!same || st.state === 'Z' || st.state === 'X') {
        if (!t.exited) out.push(this.#exitEvent(now, t, same ? st : undefined));
        if (same) t.exited = true;
        else this.#tracked.delete(pid);
      }
    }

    // The tree: the root, everything still tracked, the leaf's pids, and all their descendants.
    const seeds = [this.#opts.rootPid, ...this.#tracked.keys()];
    if (this.#opts.cgroupLeaf) seeds.push(...listPids(this.#opts.cgroupLeaf));
    const inTree = new Set<number>();
    for (let pid = seeds.pop(); pid !== undefined; pid = seeds.pop()) {
      if (inTree.has(pid) || !stats.has(pid)) continue;
      inTree.add(pid);
      seeds.push(...(children.get(pid) ?? []));
    }

    for (const pid of [...inTree].sort((a, b) => a - b)) {
      const st = stats.get(pid)!;
      const known = this.#tracked.get(pid);
      if (known?.exited) continue;
      const argv = readCmdline(pid) ?? [];
      const exe = st.kthread ? null : readExe(pid);
      if (!known) {
        const t: Tracked = { stat: st, exe, argv, exited: false, fdsSeen: new Set(), socketsSeen: new Set() };
        this.#tracked.set(pid, t);
        out.push(this.#execEvent(now, t, stats, initial ? 'initial' : 'new_pid'));
        if (st.state === 'Z') {
          out.push(this.#exitEvent(now, t, st));
          t.exited = true;
          continue;
        }
      } else if (argv.length > 0 && (exe !== known.exe || argv.join('\0') !== known.argv.join('\0'))) {
        // Zombies and exiting processes read as empty argv: that is not an exec.
        Object.assign(known, { stat: st, exe, argv });
        out.push(this.#execEvent(now, known, stats, 'exec'));
      }
      out.push(...this.#fdEvents(now, this.#tracked.get(pid)!));
    }
    return out;
  }

  #labels(reason: string): Record<string, string> {
    return { capture: 'proc_poll', poll_interval_ms: String(this.#intervalMs), may_miss: 'short_lived', reason };
  }

  #base(now: bigint, t: Tracked): RuntimeEventInput & { type: 'process_exec' } {
    return {
      type: 'process_exec',
      source: 'native_jsonl',
      host: this.#opts.host ?? '',
      time_ns: now,
      pid: t.stat.pid,
      tgid: t.stat.pid,
      ppid: t.stat.ppid,
      comm: t.stat.comm,
      exe: t.exe,
      process_start_ns: t.stat.start_ns,
    };
  }

  #execEvent(now: bigint, t: Tracked, stats: Map<number, ProcStat>, reason: string): RuntimeEventInput {
    const pid = t.stat.pid;
    const status = readStatus(pid);
    const ns = readNamespaces(pid);
    const cgroupPath = cgroupPathOfPid(pid)?.unified ?? null;
    return {
      ...this.#base(now, t),
      argv: t.argv,
      cwd: readCwd(pid),
      uid: status?.uid ?? null,
      euid: status?.euid ?? null,
      gid: status?.gid ?? null,
      parent_start_ns: stats.get(t.stat.ppid)?.start_ns ?? null,
      cgroup_path: cgroupPath,
      cgroup_id: cgroupPath === null ? null : this.#cgroupId(cgroupPath),
      container_id: cgroupPath === null ? null : containerIdFromCgroupPath(cgroupPath),
      pid_ns: ns.pid_ns,
      mnt_ns: ns.mnt_ns,
      labels: this.#labels(reason),
    };
  }

  #exitEvent(now: bigint, t: Tracked, zombie: ProcStat | undefined): RuntimeEventInput {
    // wait(2) status: low 7 bits a signal, else the exit code in the next byte. Gone without a zombie
    // sighting (already reaped) means the status is unknown here.
    const status = zombie?.exit_status ?? null;
    return {
      ...this.#base(now, t),
      type: 'process_exit',
      exit_code: status === null || (status & 0x7f) !== 0 ? null : (status >> 8) & 0xff,
      signal: status === null || (status & 0x7f) === 0 ? null : status & 0x7f,
      labels: this.#labels(zombie ? 'zombie' : 'gone'),
    };
  }

  #fdEvents(now: bigint, t: Tracked): RuntimeEventInput[] {
    const fds = readFds(t.stat.pid);
    if (!fds) return [];
    const out: RuntimeEventInput[] = [];
    const pendingSockets: Array<{ fd: number; inode: number }> = [];
    for (const { fd, target } of fds) {
      const inode = socketInode(target);
      if (inode !== null) {
        if (!t.socketsSeen.has(inode)) pendingSockets.push({ fd, inode });
        continue;
      }
      const key = `${fd}\0${target}`;
      if (!target.startsWith('/') || NOT_A_FILE.test(target) || t.fdsSeen.has(key)) continue;
      t.fdsSeen.add(key);
      const flags = readFdFlags(t.stat.pid, fd);
      if (flags === null || (flags & 0o3) === 0) continue; // read-only opens are not reported
      out.push({
        ...this.#base(now, t),
        type: 'file_open',
        path: target.replace(/ \(deleted\)$/, ''),
        open_flags: openFlagsFromFdFlags(flags),
        result: fd,
        labels: this.#labels(target.endsWith(' (deleted)') ? 'open_fd_deleted' : 'open_fd'),
      });
    }
    if (pendingSockets.length === 0) return out;
    const byInode = new Map<number, NetSocket>(readNetSockets(t.stat.pid).map((s) => [s.inode, s]));
    for (const { fd, inode } of pendingSockets) {
      const s = byInode.get(inode);
      // Not in the inet tables (unix, netlink): never a connect. Listening: not one either.
      if (!s || s.state === 10) {
        t.socketsSeen.add(inode);
        continue;
      }
      if (s.remote_port === 0) continue; // not connected yet: look again next poll
      t.socketsSeen.add(inode);
      out.push({
        ...this.#base(now, t),
        type: 'network_connect',
        family: s.family,
        dst_ip: s.remote_ip,
        dst_port: s.remote_port,
        src_ip: s.local_ip,
        src_port: s.local_port,
        result: fd,
        labels: { ...this.#labels('open_socket'), protocol: s.protocol },
      });
    }
    return out;
  }

  /** cgroup v2 id (inode of the cgroup directory) for a /proc/PID/cgroup path, if the hierarchy is mounted. */
  #cgroupId(cgroupPath: string): string | null {
    if (this.#cgroupIds.has(cgroupPath)) return this.#cgroupIds.get(cgroupPath) ?? null;
    if (this.#cgroupMount === undefined) this.#cgroupMount = findCgroup2Mounts(readMountInfo())[0] ?? null;
    let id: string | null = null;
    const m = this.#cgroupMount;
    const rel = m ? posix.relative(m.root, cgroupPath) : '..';
    if (m && !rel.startsWith('..')) {
      try {
        id = statSync(join(m.mountPoint, rel)).ino.toString();
      } catch {
        id = null; // the cgroup was removed or is outside what we can see
      }
    }
    this.#cgroupIds.set(cgroupPath, id);
    return id;
  }
}
