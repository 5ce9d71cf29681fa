-- 004: what `agentprov record` and the SDK capture besides events: how each tool call was watched, workdir
-- snapshots, the files a tool call changed (with diffs and the processes that wrote them), and orphans.

-- One row per recorded tool call (binding): which capture and which cgroup it ran with, and how it ended.
CREATE TABLE record_captures (
  binding_id      TEXT PRIMARY KEY,
  run_id          TEXT NOT NULL,
  tool_call_id    TEXT NOT NULL,
  capture         TEXT NOT NULL,     -- ebpf | proc_poll
  capture_reason  TEXT NOT NULL,     -- why this capture (e.g. "not root: ...")
  cgroup          TEXT NOT NULL,     -- v2 | none
  cgroup_reason   TEXT NOT NULL,
  cgroup_id       TEXT,
  cgroup_path     TEXT,
  enforce         INTEGER NOT NULL,  -- 1: --enforce, 0: audit only
  command         TEXT,              -- JSON argv, null for a bindPid-only scope
  workdir         TEXT,
  root_pid        INTEGER,
  started_at_ns   INTEGER NOT NULL,
  ended_at_ns     INTEGER,
  outcome         TEXT,              -- exited | signaled | killed_by_policy | quarantined | timeout | interrupted | ended
  exit_code       INTEGER,
  signal          TEXT,
  body            TEXT NOT NULL      -- canonical JSON of the whole record (stats, orphans count, exit mapping)
);
CREATE INDEX record_captures_run ON record_captures(run_id);

CREATE TABLE record_snapshots (
  snapshot_id   TEXT PRIMARY KEY,    -- sha256 of the canonical snapshot body
  binding_id    TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  phase         TEXT NOT NULL,       -- before | after
  root          TEXT NOT NULL,
  taken_at_ns   INTEGER NOT NULL,
  files         INTEGER NOT NULL,
  truncated     INTEGER NOT NULL,
  body          TEXT NOT NULL        -- canonical JSON: {root, files: {rel: {sha256,size,mode,mtime_ns,stored}}, errors}
);
CREATE INDEX record_snapshots_run ON record_snapshots(run_id, binding_id);

CREATE TABLE record_file_changes (
  change_id      TEXT PRIMARY KEY,   -- sha256 of the canonical body
  binding_id     TEXT NOT NULL,
  run_id         TEXT NOT NULL,
  tool_call_id   TEXT NOT NULL,
  path           TEXT NOT NULL,      -- relative to the snapshot root
  abs_path       TEXT NOT NULL,
  change         TEXT NOT NULL,      -- created | modified | deleted
  before_sha256  TEXT,
  after_sha256   TEXT,
  time_ns        INTEGER NOT NULL,   -- when the after snapshot was taken
  body           TEXT NOT NULL       -- canonical JSON: sizes, modes, diff text, writers [{pid, start, exe, events}]
);
CREATE INDEX record_file_changes_run ON record_file_changes(run_id, path);
CREATE INDEX record_file_changes_abs ON record_file_changes(run_id, abs_path);

-- Processes still alive in the tool call's cgroup (or process tree) when its command had exited.
CREATE TABLE record_orphans (
  binding_id    TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  tool_call_id  TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  start_ns      INTEGER NOT NULL,  -- 0 when unknown
  ppid          INTEGER,
  exe           TEXT,
  argv          TEXT NOT NULL,       -- JSON array
  seen_at_ns    INTEGER NOT NULL,
  fate          TEXT NOT NULL,       -- killed | left_running | exited
  PRIMARY KEY (binding_id, pid, start_ns)
);
CREATE INDEX record_orphans_run ON record_orphans(run_id);
