/** @module model/runtime-event: the normalized RuntimeEvent every source (eBPF, Falco, Tetragon, JSONL) maps into. */
import { z } from 'zod';

export const EVENT_TYPES = [
  'process_exec',
  'process_fork',
  'process_exit',
  'file_open',
  'file_rename',
  'file_unlink',
  'network_connect',
  'privilege_change',
  'ptrace',
  'tls_request',
  'dns_query',
  'enforcement',
  // A gap in the timeline: the producer said it lost events (Falco "syscall event drop", ring-buffer drops).
  'telemetry_loss',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_SOURCES = ['agentprov_ebpf', 'falco', 'tetragon', 'native_jsonl'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * 64-bit nanosecond times are bigint in memory (boot and epoch ns pass 2^53) and accept a decimal string or
 * a safe integer on input, since JSON producers (Tetragon) write 64-bit numbers as strings.
 */
export const NanosSchema = z.union([
  z.bigint(),
  z.string().regex(/^-?\d{1,20}$/, 'expected an integer count of nanoseconds').transform((s) => BigInt(s)),
  z.number().int().refine(Number.isSafeInteger, 'integer too large: write it as a string').transform((n) => BigInt(n)),
]);

const u32 = z.number().int().min(0).max(0xffffffff);
const optInt = z.number().int().nullable().optional();

/** Where the event came from: enough to find the raw input again and to prove it unchanged. */
export const RawRefSchema = z.strictObject({
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  offset: z.number().int().nonnegative().optional(),
});
export type RawRef = z.infer<typeof RawRefSchema>;

export const TlsRequestSchema = z.strictObject({
  method: z.string().optional(),
  host: z.string().optional(),
  path: z.string().optional(),
  content_type: z.string().optional(),
  http2: z.boolean().optional(),
  direction: z.enum(['write', 'read']).optional(),
  bytes: z.number().int().nonnegative().optional(),
  redacted: z.array(z.string()).optional(),
});

export const RuntimeEventSchema = z.strictObject({
  /** Content address of the normalized event (sha256 of its canonical JSON without this field). */
  event_id: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  type: z.enum(EVENT_TYPES),
  source: z.enum(EVENT_SOURCES),
  host: z.string().default(''),
  time_ns: NanosSchema,
  time: z.string().optional(),
  pid: optInt,
  tgid: optInt,
  ppid: optInt,
  uid: optInt,
  euid: optInt,
  gid: optInt,
  comm: z.string().nullable().optional(),
  exe: z.string().nullable().optional(),
  argv: z.array(z.string()).optional(),
  cwd: z.string().nullable().optional(),
  /** cgroup v2 id (an inode number, u64) as a decimal string. */
  cgroup_id: z.string().regex(/^\d+$/).nullable().optional(),
  cgroup_path: z.string().nullable().optional(),
  /** Container id as lower-case hex without a runtime prefix: 12, a longer prefix, or 64 characters. */
  container_id: z.string().nullable().optional(),
  pid_ns: u32.nullable().optional(),
  mnt_ns: u32.nullable().optional(),
  /** Process start time (ns, the source's clock): with pid it keys a process, since pids are reused. */
  process_start_ns: NanosSchema.nullable().optional(),
  parent_start_ns: NanosSchema.nullable().optional(),
  exec_id: z.string().nullable().optional(),
  parent_exec_id: z.string().nullable().optional(),
  /** A tool call the producer itself declared (native JSONL); kernel sources never carry one. */
  tool_call_id: z.string().nullable().optional(),

  // Type-specific fields, flat so policy rules can name them directly.
  path: z.string().nullable().optional(),
  new_path: z.string().nullable().optional(),
  open_flags: z.array(z.enum(['read', 'write', 'create', 'truncate', 'append'])).optional(),
  family: z.enum(['inet', 'inet6', 'unix']).nullable().optional(),
  dst_ip: z.string().nullable().optional(),
  dst_port: z.number().int().min(0).max(65535).nullable().optional(),
  src_ip: z.string().nullable().optional(),
  src_port: z.number().int().min(0).max(65535).nullable().optional(),
  /** Syscall result: 0 or a positive fd on success, -errno on failure. */
  result: optInt,
  exit_code: optInt,
  signal: optInt,
  old_uid: optInt,
  new_uid: optInt,
  old_gid: optInt,
  new_gid: optInt,
  old_euid: optInt,
  new_euid: optInt,
  syscall: z.string().nullable().optional(),
  ptrace_request: optInt,
  target_pid: optInt,
  tls: TlsRequestSchema.nullable().optional(),
  dns_query: z.string().nullable().optional(),
  /** enforcement: what the kernel or a responder stopped, and why. */
  enforcement_action: z.string().nullable().optional(),
  enforcement_reason: z.string().nullable().optional(),
  /** telemetry_loss: how many events the producer says it lost. */
  lost_events: z.number().int().nonnegative().nullable().optional(),
  /** The producer's own verdict, kept as evidence (Falco rule and priority, Tetragon policy name). */
  producer_rule: z.string().nullable().optional(),
  producer_priority: z.string().nullable().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  raw_ref: RawRefSchema.optional(),
});

export type RuntimeEventInput = z.input<typeof RuntimeEventSchema>;
export type RuntimeEvent = z.output<typeof RuntimeEventSchema>;
