-- 002: the tamper-evident ledger (issue 4). Every write to an evidence table appends a ledger entry in the
-- same transaction; each committed transaction signs its last entry (the head). Rows carry `ledger_seq`,
-- the seq of the entry that recorded them, so a verifier goes from a row to its entry in one lookup.
--
-- Versioned tables (scopes, correlations, decisions, risks, responses) are keyed by (id, ledger_seq): a
-- newer version is a new row, the current one is the highest ledger_seq per id, and `tombstone = 1` marks a
-- deletion. In mutable mode superseded rows are deleted; revisioned and sealed modes keep them.

CREATE TABLE ledger (
  seq          INTEGER PRIMARY KEY,   -- 1, 2, 3, ... (the rowid: appends land at the end of the B-tree)
  prev_hash    TEXT NOT NULL,
  object_hash  TEXT NOT NULL,         -- sha256 of the object the entry records
  kind         TEXT NOT NULL,         -- op:table, e.g. put:events, revise:correlations, tombstone:risks
  time_ns      INTEGER NOT NULL,
  entry_hash   TEXT NOT NULL          -- sha256(RFC 8785 JSON of the other fields + domain tag)
);

CREATE TABLE ledger_heads (
  seq              INTEGER PRIMARY KEY,
  entry_hash       TEXT NOT NULL,
  key_fingerprint  TEXT NOT NULL,
  signature        TEXT NOT NULL,     -- hex Ed25519 over agentprov.ledger-head/v1
  signed_at_ns     INTEGER NOT NULL
);

CREATE TABLE ledger_anchors (
  anchor_id        INTEGER PRIMARY KEY,
  from_seq         INTEGER NOT NULL,
  to_seq           INTEGER NOT NULL,
  tree_size        INTEGER NOT NULL,
  root             TEXT NOT NULL,
  key_fingerprint  TEXT NOT NULL,
  signed_at_ns     INTEGER NOT NULL,
  signature        TEXT NOT NULL,
  target           TEXT NOT NULL,     -- where it was written or POSTed
  ledger_seq       INTEGER NOT NULL
);

-- Soft forget: the object stays (the chain still verifies), queries show a redacted stand-in.
CREATE TABLE redactions (
  object_hash  TEXT PRIMARY KEY,
  tbl          TEXT NOT NULL,
  row_key      TEXT NOT NULL,
  reason       TEXT NOT NULL,
  ledger_seq   INTEGER NOT NULL
);
CREATE INDEX redactions_row ON redactions(tbl, row_key);

-- Each derivation of a run's DAG: nodes and edges are content-addressed and inserted once; a derivation
-- names its node and edge hashes, and `root` (its ledger object hash) commits to both lists.
CREATE TABLE run_graphs (
  run_id      TEXT NOT NULL,
  ledger_seq  INTEGER NOT NULL,
  root        TEXT NOT NULL,
  nodes       TEXT NOT NULL,          -- JSON array of node hashes, in derivation order
  edges       TEXT NOT NULL,          -- JSON array of edge hashes
  PRIMARY KEY (run_id, ledger_seq)
);
CREATE INDEX run_graphs_seq ON run_graphs(ledger_seq);

ALTER TABLE events ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_ledger_seq ON events(ledger_seq);
ALTER TABLE ingest_batches ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE policies ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;

-- Versioned tables: rebuilt with (id, ledger_seq) keys. Rows written before this migration get seq 0.
CREATE TABLE scopes_v2 (
  binding_id     TEXT NOT NULL,
  run_id         TEXT NOT NULL,
  session_id     TEXT NOT NULL,
  attempt_id     TEXT NOT NULL,
  tool_call_id   TEXT NOT NULL,
  tool_name      TEXT,
  started_at_ns  INTEGER NOT NULL,
  ended_at_ns    INTEGER,
  body           TEXT NOT NULL,
  ledger_seq     INTEGER NOT NULL DEFAULT 0,
  tombstone      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (binding_id, ledger_seq)
);
INSERT INTO scopes_v2 (binding_id, run_id, session_id, attempt_id, tool_call_id, tool_name, started_at_ns, ended_at_ns, body)
  SELECT binding_id, run_id, session_id, attempt_id, tool_call_id, tool_name, started_at_ns, ended_at_ns, body FROM scopes;
DROP TABLE scopes;
ALTER TABLE scopes_v2 RENAME TO scopes;
CREATE INDEX scopes_run ON scopes(run_id);
CREATE INDEX scopes_tool_call ON scopes(tool_call_id);
CREATE INDEX scopes_seq ON scopes(ledger_seq);

CREATE TABLE correlations_v2 (
  event_id      TEXT NOT NULL,
  binding_id    TEXT,
  run_id        TEXT,
  tool_call_id  TEXT,
  tier          TEXT NOT NULL,
  confidence    REAL NOT NULL,
  keys_matched  TEXT NOT NULL,
  reason        TEXT NOT NULL,
  ledger_seq    INTEGER NOT NULL DEFAULT 0,
  tombstone     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (event_id, ledger_seq)
);
INSERT INTO correlations_v2 (event_id, binding_id, run_id, tool_call_id, tier, confidence, keys_matched, reason)
  SELECT event_id, binding_id, run_id, tool_call_id, tier, confidence, keys_matched, reason FROM correlations;
DROP TABLE correlations;
ALTER TABLE correlations_v2 RENAME TO correlations;
CREATE INDEX correlations_run ON correlations(run_id) WHERE run_id IS NOT NULL;
CREATE INDEX correlations_binding ON correlations(binding_id) WHERE binding_id IS NOT NULL;
CREATE INDEX correlations_seq ON correlations(ledger_seq);

CREATE TABLE decisions_v2 (
  decision_id   TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  run_id        TEXT,
  tool_call_id  TEXT,
  action        TEXT NOT NULL,
  would_action  TEXT NOT NULL,
  policy_hash   TEXT NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL,
  ledger_seq    INTEGER NOT NULL DEFAULT 0,
  tombstone     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (decision_id, ledger_seq)
);
INSERT INTO decisions_v2 (decision_id, event_id, run_id, tool_call_id, action, would_action, policy_hash, time_ns, body)
  SELECT decision_id, event_id, run_id, tool_call_id, action, would_action, policy_hash, time_ns, body FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_v2 RENAME TO decisions;
CREATE INDEX decisions_event ON decisions(event_id);
CREATE INDEX decisions_run ON decisions(run_id, time_ns);
CREATE INDEX decisions_seq ON decisions(ledger_seq);

CREATE TABLE risks_v2 (
  risk_id       TEXT NOT NULL,
  decision_id   TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  run_id        TEXT,
  tool_call_id  TEXT,
  rule_id       TEXT NOT NULL,
  severity      TEXT NOT NULL,
  score         REAL NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL,
  ledger_seq    INTEGER NOT NULL DEFAULT 0,
  tombstone     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (risk_id, ledger_seq)
);
INSERT INTO risks_v2 (risk_id, decision_id, event_id, run_id, tool_call_id, rule_id, severity, score, time_ns, body)
  SELECT risk_id, decision_id, event_id, run_id, tool_call_id, rule_id, severity, score, time_ns, body FROM risks;
DROP TABLE risks;
ALTER TABLE risks_v2 RENAME TO risks;
CREATE INDEX risks_run ON risks(run_id, time_ns);
CREATE INDEX risks_event ON risks(event_id);
CREATE INDEX risks_seq ON risks(ledger_seq);

CREATE TABLE responses_v2 (
  response_id   TEXT NOT NULL,
  decision_id   TEXT,
  event_id      TEXT,
  run_id        TEXT,
  tool_call_id  TEXT,
  action        TEXT NOT NULL,
  result        TEXT NOT NULL,
  time_ns       INTEGER NOT NULL,
  body          TEXT NOT NULL,
  ledger_seq    INTEGER NOT NULL DEFAULT 0,
  tombstone     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (response_id, ledger_seq)
);
INSERT INTO responses_v2 (response_id, decision_id, event_id, run_id, tool_call_id, action, result, time_ns, body)
  SELECT response_id, decision_id, event_id, run_id, tool_call_id, action, result, time_ns, body FROM responses;
DROP TABLE responses;
ALTER TABLE responses_v2 RENAME TO responses;
CREATE INDEX responses_run ON responses(run_id, time_ns);
CREATE INDEX responses_event ON responses(event_id);
CREATE INDEX responses_seq ON responses(ledger_seq);

-- The ledger's own tables are append-only in every mode. A REPLACE would delete without firing a DELETE
-- trigger (recursive_triggers is off), so a conflicting INSERT is refused too. Tests that play the attacker
-- drop these triggers first: they guard against mistakes; the chain and signatures catch deliberate edits.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: UPDATE on ledger refused'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: DELETE on ledger refused'); END;
CREATE TRIGGER ledger_no_replace BEFORE INSERT ON ledger WHEN EXISTS (SELECT 1 FROM ledger WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: REPLACE on ledger refused'); END;
CREATE TRIGGER ledger_heads_no_update BEFORE UPDATE ON ledger_heads
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: UPDATE on ledger_heads refused'); END;
CREATE TRIGGER ledger_heads_no_delete BEFORE DELETE ON ledger_heads
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: DELETE on ledger_heads refused'); END;
CREATE TRIGGER ledger_heads_no_replace BEFORE INSERT ON ledger_heads WHEN EXISTS (SELECT 1 FROM ledger_heads WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: REPLACE on ledger_heads refused'); END;
CREATE TRIGGER ledger_anchors_no_update BEFORE UPDATE ON ledger_anchors
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: UPDATE on ledger_anchors refused'); END;
CREATE TRIGGER ledger_anchors_no_delete BEFORE DELETE ON ledger_anchors
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: DELETE on ledger_anchors refused'); END;
CREATE TRIGGER redactions_no_update BEFORE UPDATE ON redactions
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: UPDATE on redactions refused'); END;
CREATE TRIGGER redactions_no_delete BEFORE DELETE ON redactions
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: DELETE on redactions refused'); END;
CREATE TRIGGER redactions_no_replace BEFORE INSERT ON redactions WHEN EXISTS (SELECT 1 FROM redactions WHERE object_hash = NEW.object_hash)
  BEGIN SELECT RAISE(ABORT, 'agentprov: the ledger is append-only: REPLACE on redactions refused'); END;
