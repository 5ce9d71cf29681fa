-- 003: responses beyond the engine's own records: agent identities, approvals (with every step), pre-execution
-- gate records, and what a quarantine changed (so a release can undo it). Times are INTEGER ns.

CREATE TABLE agents (
  agent_id       TEXT PRIMARY KEY,
  owner          TEXT NOT NULL,
  autonomy       TEXT NOT NULL,     -- recommend-only | act-with-approval | autonomous
  allowed_tools  TEXT NOT NULL,     -- JSON array of tool names; ["*"] = any
  created_at_ns  INTEGER NOT NULL,
  updated_at_ns  INTEGER NOT NULL,
  body           TEXT NOT NULL      -- JSON of the whole AgentRecord
);

CREATE TABLE approvals (
  approval_id     TEXT PRIMARY KEY,
  status          TEXT NOT NULL,    -- pending | approved | denied | expired
  run_id          TEXT,
  tool_call_id    TEXT,
  agent_id        TEXT,
  decision_id     TEXT,
  event_id        TEXT,
  gate_record_id  TEXT,
  target_kind     TEXT NOT NULL,
  target          TEXT NOT NULL,
  requested_at_ns INTEGER NOT NULL,
  expires_at_ns   INTEGER NOT NULL,
  decided_at_ns   INTEGER,
  decided_by      TEXT,
  body            TEXT NOT NULL     -- JSON of the ApprovalRecord (target details, rules, reason)
);
CREATE INDEX approvals_status ON approvals(status, expires_at_ns);
CREATE INDEX approvals_run ON approvals(run_id) WHERE run_id IS NOT NULL;

-- Every step of an approval, in order: requested, frozen, notified/notify_failed, approved/denied/expired,
-- thawed/killed (each action step also has a ResponseAction in `responses`).
CREATE TABLE approval_steps (
  approval_id  TEXT NOT NULL REFERENCES approvals(approval_id),
  seq          INTEGER NOT NULL,
  step         TEXT NOT NULL,
  time_ns      INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  detail       TEXT NOT NULL,
  PRIMARY KEY (approval_id, seq)
);

CREATE TABLE gate_records (
  record_id      TEXT PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  owner          TEXT,
  run_id         TEXT,
  tool_call_id   TEXT,
  action_kind    TEXT NOT NULL,     -- command | file | http | docker
  decision       TEXT NOT NULL,     -- allow | deny | require_approval
  status         TEXT NOT NULL,     -- allowed | denied | pending | approved | expired
  approval_id    TEXT,
  created_at_ns  INTEGER NOT NULL,
  body           TEXT NOT NULL      -- JSON of the GateRecord (request, reasons, policy hash)
);
CREATE INDEX gate_records_tool_call ON gate_records(tool_call_id) WHERE tool_call_id IS NOT NULL;
CREATE INDEX gate_records_agent ON gate_records(agent_id, created_at_ns);

-- What a containment changed and a release must undo (e.g. the networks a container was disconnected from).
CREATE TABLE containments (
  target_kind    TEXT NOT NULL,
  target         TEXT NOT NULL,
  state          TEXT NOT NULL,     -- frozen | quarantined
  response_id    TEXT,
  updated_at_ns  INTEGER NOT NULL,
  body           TEXT NOT NULL,     -- JSON {target, networks?, sensor_flag?}
  PRIMARY KEY (target_kind, target)
);
