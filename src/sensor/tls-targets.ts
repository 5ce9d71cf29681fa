/**
 * @module sensor/tls-targets: finds the files to put TLS uprobes on and attaches each once.
 *
 * A uprobe belongs to a file (inode), not a process: once libssl.so.3 or node is attached, every process that
 * maps it is covered, and the BPF side's tracked check decides what is reported. Targets are found per process
 * through /proc/PID/maps (libssl.so*) and /proc/PID/exe (an executable that defines SSL_write, e.g. node with
 * its static OpenSSL), and opened through /proc/PID/root so files inside containers resolve. At start every
 * process is scanned; afterwards each exec and each open of a libssl file by a tracked process triggers a scan.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { elfFunctionOffsets } from './elf-exports.js';

export const TLS_FUNCTIONS = ['SSL_write', 'SSL_read', 'SSL_write_ex', 'SSL_read_ex'] as const;
const LIBSSL = /^libssl\.so(\.\d+)*$/;
/** Host paths tried at start even if no running process maps them yet. */
const WELL_KNOWN_LIBSSL = [
  '/usr/lib/x86_64-linux-gnu/libssl.so.3',
  '/usr/lib/aarch64-linux-gnu/libssl.so.3',
  '/usr/lib64/libssl.so.3',
  '/usr/lib/libssl.so.3',
  '/lib/x86_64-linux-gnu/libssl.so.3',
];
/** Re-scan delays after an exec: the dynamic loader maps libssl shortly after the exec event. */
const RESCAN_MS = [20, 250];

export interface TlsTarget {
  path: string;
  functions: string[];
}

export function isLibsslPath(path: string): boolean {
  return LIBSSL.test(basename(path));
}

export class TlsTargets {
  /** dev:ino -> what was attached; an empty list means "looked, nothing to attach". */
  private readonly seen = new Map<string, TlsTarget>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Attaches the TLS uprobes to `path`, by symbol name or, where given, by file offset; returns the names. */
  private readonly attach: (path: string, offsets?: ReadonlyMap<string, number>) => string[];
  private readonly onError: (path: string, err: unknown) => void;
  private stopped = false;

  constructor(attach: (path: string, offsets?: ReadonlyMap<string, number>) => string[], onError: (path: string, err: unknown) => void = () => {}) {
    this.attach = attach;
    this.onError = onError;
  }

  attached(): TlsTarget[] {
    return [...this.seen.values()].filter((t) => t.functions.length > 0);
  }

  /** The well-known host libssl paths, mapped or not. */
  scanKnownLibs(): void {
    for (const path of WELL_KNOWN_LIBSSL) this.consider(path, 'lib');
  }

  /** Every running process plus the well-known host libssl paths. */
  scanAll(): void {
    this.scanKnownLibs();
    for (const name of readdirSync('/proc')) {
      if (/^\d+$/.test(name)) this.scanPid(Number(name));
    }
  }

  /** One process: its libssl mappings and its executable. Gone processes are ignored. */
  scanPid(pid: number): void {
    if (this.stopped) return;
    let maps: string;
    try {
      maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      return;
    }
    const libs = new Set<string>();
    for (const line of maps.split('\n')) {
      const slash = line.indexOf('/');
      if (slash < 0) continue;
      const path = line.slice(slash).replace(/ \(deleted\)$/, '');
      if (isLibsslPath(path)) libs.add(path);
    }
    for (const lib of libs) this.consider(`/proc/${pid}/root${lib}`, 'lib');
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (!exe.endsWith(' (deleted)')) this.consider(`/proc/${pid}/root${exe}`, 'exe');
    } catch {
      // kernel threads have no exe; a process may exit between the two reads
    }
  }

  /** After an exec: now, and again once the loader has had time to map libssl. */
  onExec(pid: number): void {
    this.scanPid(pid);
    for (const ms of RESCAN_MS) this.later(ms, () => this.scanPid(pid));
  }

  /** After a tracked process opened a libssl file: it is mmapped right after. */
  onLibOpen(pid: number): void {
    this.later(1, () => this.scanPid(pid));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private consider(path: string, kind: 'lib' | 'exe'): void {
    let key: string;
    try {
      const st = statSync(path, { bigint: true });
      if (!st.isFile()) return;
      key = `${st.dev}:${st.ino}`;
    } catch {
      return;
    }
    if (this.seen.has(key)) return;
    // an executable is attached only if it defines SSL_write itself; most import it or have no TLS at all
    // an executable is parsed here anyway, so its uprobes are attached by the offsets found
    const offsets = kind === 'exe' ? elfFunctionOffsets(path, TLS_FUNCTIONS) : undefined;
    if (offsets?.size === 0) {
      this.seen.set(key, { path, functions: [] });
      return;
    }
    try {
      this.seen.set(key, { path, functions: this.attach(path, offsets) });
    } catch (err) {
      this.seen.set(key, { path, functions: [] });
      this.onError(path, err);
    }
  }
}
