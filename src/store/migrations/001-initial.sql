-- 001: the evidence store. Times are INTEGER nanoseconds (compared as numbers, never as text).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE ingest_batches (
  batch_id        TEXT PRIMARY KEY,
  source_file     TEXT NOT NULL,
  format          TEXT NOT NULL,
  input_sha256    TEXT NOT NULL,
  lines           INTEGER NOT NULL,
  accepted        INTEGER NOT NULL,
  duplicates      INTEGER NOT NULL,
  rejected        INTEGER NOT NULL,
  rejected_lines  TEXT NOT NULL,   -- JSON [{line, code, field, message}]
  started_at      TEXT NOT NULL,
  finished_at     TEXT NOT NULL
);

CREATE TABLE events (
  event_id          TEXT PRIMARY KEY,
  time_ns           INTEGER NOT NULL,
  type              TEXT NOT NULL,
  source            TEXT NOT NULL,
  pid               INTEGER,
  ppid              INTEGER,
  process_start_ns  INTEGER,
  cgroup_id         TEXT,
  container_id      TEXT,
  batch_id          TEXT,
  body              TEXT NOT NULL    -- canonical JSON of the normalized RuntimeEvent
);
CREATE INDEX events_time ON events(time_ns);
CREATE INDEX events_pid ON events(pid, time_ns);
CREATE INDEX events_cgroup ON events(cgroup_id) WHERE cgroup_id IS NOT NULL;
CREATE INDEX events_container ON events(container_id) WHERE container_id IS NOT NULL;

CREATE TABLE scopes (
  binding_id     TEXT PRIMARY KEY,
  run_id         TEXT NOT NULL,
  session_id     TEXT NOT NULL,
  attempt_id     TEXT NOT NULL,
  tool_call_id   TEXT NOT NULL,
  tool_name      TEXT,
  started_at_ns  INTEGER NOT NULL,
  ended_at_ns    INTEGER,
  body           TEXT NOT NULL      -- canonical JSON of the ToolCallScope
);
CREATE INDEX scopes_run ON scopes(run_id);
CREATE INDEX scopes_tool_call ON scopes(tool_call_id);

CREATE TABLE correlations (
  event_id      TEXT PRIMARY KEY REFERENCES events(event_id),
  binding_id    TEXT,
  run_id        TEXT,
  tool_call_id  TEXT,
  tier          TEXT NOT NULL,
  confidence    REAL NOT NULL,
  keys_matched  TEXT NOT NULL,     -- JSON array
  reason        TEXT NOT NULL
);
CREATE INDEX correlations_run ON correlations(run_id) WHERE run_id IS NOT NULL;

CREATE TABLE policies (
  policy_hash  TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  files        TEXT NOT NULL,       -- JSON [{file, sha256}]
  loaded_at    TEXT NOT NULL
);

CREATE TABLE decisions (
  decision_id   TEXT PRIMARY KEY,
  event_id      TEXT NOT NULL REFERENCES events(event_id),
  run_id        TEXT,
  tool_call_id  TEXT,
  action        TEXT NOT NULL,
  would_action  TEXT NOT NULL,
  policy_hash   TEXT NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL
);
CREATE INDEX decisions_event ON decisions(event_id);
CREATE INDEX decisions_run ON decisions(run_id, time_ns);

CREATE TABLE risks (
  risk_id       TEXT PRIMARY KEY,
  decision_id   TEXT NOT NULL REFERENCES decisions(decision_id),
  event_id      TEXT NOT NULL,
  run_id        TEXT,
  tool_call_id  TEXT,
  rule_id       TEXT NOT NULL,
  severity      TEXT NOT NULL,
  score         REAL NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL
);
CREATE INDEX risks_run ON risks(run_id, time_ns);
CREATE INDEX risks_event ON risks(event_id);

CREATE TABLE responses (
  response_id   TEXT PRIMARY KEY,
  decision_id   TEXT,
  event_id      TEXT,
  run_id        TEXT,
  tool_call_id  TEXT,
  action        TEXT NOT NULL,
  result        TEXT NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL
);
CREATE INDEX responses_run ON responses(run_id, time_ns);
CREATE INDEX responses_event ON responses(event_id);

CREATE TABLE dag_nodes (
  hash     TEXT PRIMARY KEY,
  kind     TEXT NOT NULL,
  key      TEXT NOT NULL,
  run_id   TEXT,
  body     TEXT NOT NULL,   -- canonical JSON
  parents  TEXT NOT NULL    -- JSON array of hashes
);
CREATE INDEX dag_nodes_run ON dag_nodes(run_id, kind);
CREATE INDEX dag_nodes_key ON dag_nodes(kind, key);

CREATE TABLE dag_edges (
  hash       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  from_hash  TEXT NOT NULL,
  to_hash    TEXT NOT NULL,
  run_id     TEXT
);
CREATE INDEX dag_edges_run ON dag_edges(run_id);
CREATE INDEX dag_edges_from ON dag_edges(from_hash);
CREATE INDEX dag_edges_to ON dag_edges(to_hash);
