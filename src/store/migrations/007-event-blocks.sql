-- 007: the event layout for volume (issue 12). An event is one narrow row of integers; its body lives in a
-- content-addressed block of up to 1,024 events, compressed, which is the unit of write, hashing and
-- ledgering (one `put:event_blocks` entry per block, its object hash the RFC 9162 Merkle root over the
-- block's leaf hashes). A correlation is interned (`correlation_kinds`: many events share one who-and-why)
-- and an event row names its current one; each transaction that sets correlations appends one
-- `put:correlation_batches` entry over the (event key, kind) pairs it set, kept as a blob, so every
-- attribution an event ever had stays provable without a row per event and version.
--
-- The tables `events` and `correlations` of 001 are no longer written; a store of the earlier layout is
-- copied into these tables when it is first opened (store/event-layout-migration.ts), and its old rows stay
-- where they are, so the ledger entries that recorded them still verify.

-- Repeating strings of the event row (type, source, cgroup, container, batch) as small ids. A changed value
-- is caught by `agentprov verify`: the row's columns must equal the block body the ledger proves.
CREATE TABLE strings (
  id     INTEGER PRIMARY KEY,
  value  TEXT NOT NULL UNIQUE
);
-- Fixed id: the partial index below finds telemetry gaps without an index on every event's type.
INSERT INTO strings (id, value) VALUES (1, 'telemetry_loss');

CREATE TABLE event_blocks (
  block_id    INTEGER PRIMARY KEY,
  ledger_seq  INTEGER NOT NULL,        -- its put:event_blocks entry
  count       INTEGER NOT NULL,
  leaves      BLOB NOT NULL,           -- count x 32 bytes: sha256(0x00 || body) of each event, in order
  body        BLOB NOT NULL            -- deflate-raw of the events' JSON bodies joined by '\n'
);

CREATE TABLE correlation_kinds (
  id            INTEGER PRIMARY KEY,
  binding_id    TEXT,
  run_id        TEXT,
  tool_call_id  TEXT,
  tier          TEXT NOT NULL,
  confidence    REAL NOT NULL,
  keys_matched  TEXT NOT NULL,         -- JSON array
  reason        TEXT NOT NULL,
  hash          TEXT NOT NULL UNIQUE,  -- the object hash of its put:correlation_kinds entry (interning key)
  ledger_seq    INTEGER NOT NULL
);
-- "events of a run" and "events of a tool call" start from the run's or binding's kinds.
CREATE INDEX correlation_kinds_run ON correlation_kinds(run_id) WHERE run_id IS NOT NULL;
CREATE INDEX correlation_kinds_binding ON correlation_kinds(binding_id) WHERE binding_id IS NOT NULL;

CREATE TABLE correlation_batches (
  ledger_seq  INTEGER PRIMARY KEY,     -- its put:correlation_batches entry (object hash = sha256 of pairs)
  pairs       BLOB NOT NULL            -- n x (int64 event key, int32 kind id), little-endian, in write order
);

CREATE TABLE event_rows (
  key               INTEGER PRIMARY KEY, -- the event id's first 8 bytes, sign bit flipped: orders as the id does
  id_tail           INTEGER NOT NULL,    -- the id's next 52 bits: a key collision is told apart, never merged
  time_ns           INTEGER NOT NULL,
  type              INTEGER NOT NULL,    -- strings.id
  source            INTEGER NOT NULL,    -- strings.id
  pid               INTEGER,
  process_start_ns  INTEGER,
  cgroup            INTEGER,             -- strings.id of cgroup_id
  container         INTEGER,             -- strings.id of container_id
  batch             INTEGER,             -- strings.id of the ingest batch id
  block_id          INTEGER NOT NULL,
  pos               INTEGER NOT NULL,    -- index in the block
  kind              INTEGER NOT NULL DEFAULT 0 -- correlation_kinds.id of its current correlation (0: none yet)
);
-- Time windows: the engine re-correlates a scope's window when it binds, and timelines read in time order.
CREATE INDEX event_rows_time ON event_rows(time_ns);
-- Events of a run or a tool call, in time order (every run query goes through its kinds).
CREATE INDEX event_rows_kind ON event_rows(kind, time_ns);
-- Telemetry gaps (type 1 = telemetry_loss, fixed above): few rows, looked up by time for every timeline.
CREATE INDEX event_rows_loss ON event_rows(time_ns) WHERE type = 1;
