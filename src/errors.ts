/** @module errors: the one error hierarchy of agentprov, its stable codes and the exit-code table. */

export type ErrorCode =
  | 'AP_BAD_INPUT'
  | 'AP_BAD_POLICY'
  | 'AP_BAD_ARGS'
  | 'AP_NOT_FOUND'
  | 'AP_NOT_ROOT'
  | 'AP_NO_BTF'
  | 'AP_NO_EBPF'
  | 'AP_SENSOR'
  | 'AP_PERMISSION'
  | 'AP_STORE'
  | 'AP_VERIFY_FAILED'
  | 'AP_IO'
  | 'AP_INTERNAL';

/** Exit codes a shell script can rely on. 0 ok, 1 unexpected, 2 usage; the rest name a cause. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  AP_INTERNAL: 1,
  AP_BAD_ARGS: 2,
  AP_BAD_INPUT: 3,
  AP_BAD_POLICY: 4,
  AP_NOT_FOUND: 5,
  AP_VERIFY_FAILED: 6,
  AP_STORE: 7,
  AP_IO: 8,
  AP_PERMISSION: 9,
  AP_NOT_ROOT: 10,
  AP_NO_BTF: 11,
  AP_NO_EBPF: 12,
  AP_SENSOR: 13,
};

export class AgentprovError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem in one input: where it is (file, line, field) and what is wrong. */
export interface InputIssue {
  file?: string;
  line?: number;
  field?: string;
  message: string;
}

export function formatIssue(issue: InputIssue): string {
  const where = [issue.file, issue.line].filter((p) => p !== undefined).join(':');
  const field = issue.field ? `${issue.field}: ` : '';
  return `${where ? `${where}: ` : ''}${field}${issue.message}`;
}

export class InputError extends AgentprovError {
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[], options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'AP_BAD_INPUT', issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

export class PolicyError extends InputError {
  constructor(issues: InputIssue[], options?: { cause?: unknown }) {
    super(issues, { ...options, code: 'AP_BAD_POLICY' });
  }
}

export class SensorError extends AgentprovError {
  readonly op: string;
  readonly errno: number;
  readonly detail: string;
  constructor(
    message: string,
    opts: { code?: ErrorCode; op?: string; errno?: number; detail?: string; cause?: unknown } = {},
  ) {
    super(opts.code ?? 'AP_SENSOR', message, { cause: opts.cause });
    this.op = opts.op ?? '';
    this.errno = opts.errno ?? 0;
    this.detail = opts.detail ?? '';
  }
}

export class PermissionError extends AgentprovError {
  constructor(message: string, options?: { cause?: unknown; code?: 'AP_PERMISSION' | 'AP_NOT_ROOT' }) {
    super(options?.code ?? 'AP_PERMISSION', message, options);
  }
}

export class StoreError extends AgentprovError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AP_STORE', message, options);
  }
}

export class NotFoundError extends AgentprovError {
  constructor(message: string) {
    super('AP_NOT_FOUND', message);
  }
}

/** A verification failure names the first bad object (and, for the ledger, sequence number). */
export class VerifyError extends AgentprovError {
  readonly firstBadSeq: number | undefined;
  readonly objectHash: string | undefined;
  constructor(message: string, opts: { firstBadSeq?: number; objectHash?: string } = {}) {
    super('AP_VERIFY_FAILED', message);
    this.firstBadSeq = opts.firstBadSeq;
    this.objectHash = opts.objectHash;
  }
}
