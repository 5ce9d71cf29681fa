-- 005: an ingest batch is whole or absent (issue 11). Its manifest row is written, `complete = 0`, in the
-- transaction of its first events and completed at the end; a killed ingest leaves it incomplete, and a
-- re-run of the same input (same input_sha256) completes it. `started_seq` is the seq of the entry that
-- opened the batch (its row then moves to the completing entry), so a verifier still finds both entries' row.
-- Rows written before this migration are complete and keep `started_seq = 0` (hashed the old way).
ALTER TABLE ingest_batches ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
ALTER TABLE ingest_batches ADD COLUMN started_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ingest_batches_open ON ingest_batches(input_sha256) WHERE complete = 0;

-- A sealed store refuses every UPDATE of ingest_batches but one: completing an incomplete batch, once. The
-- trigger checks the mode when it fires, so it can exist in every store (store-mode.ts creates the other
-- sealed triggers IF NOT EXISTS and leaves this one alone).
DROP TRIGGER IF EXISTS sealed_ingest_batches_no_update;
CREATE TRIGGER sealed_ingest_batches_no_update BEFORE UPDATE ON ingest_batches
  WHEN (SELECT value FROM meta WHERE key = 'mode') = 'sealed'
   AND NOT (OLD.complete = 0 AND NEW.complete = 1 AND NEW.batch_id = OLD.batch_id AND NEW.started_seq = OLD.started_seq
            AND NEW.source_file = OLD.source_file AND NEW.format = OLD.format AND NEW.started_at = OLD.started_at
            AND (OLD.input_sha256 = '' OR NEW.input_sha256 = OLD.input_sha256))
  BEGIN SELECT RAISE(ABORT, 'agentprov: sealed store: UPDATE on ingest_batches refused'); END;
