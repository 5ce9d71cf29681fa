-- 008: one ledger entry per verdict batch (issue 12, point 2). The decisions, risks and planned responses
-- a storage request brings for new events are written under one `put:verdict_batches` entry, whose object
-- hash is the RFC 9162 Merkle root over one leaf per row (store/verdict-batch: the row's table and body
-- hash). A row names that entry (`ledger_seq`) and its leaf (`batch_pos`); rows written one entry each
-- (re-evaluations, responses carried out, every row from before 008) keep `batch_pos` NULL.
CREATE TABLE verdict_batches (
  ledger_seq  INTEGER PRIMARY KEY,     -- its put:verdict_batches entry
  count       INTEGER NOT NULL,
  leaves      BLOB NOT NULL            -- count x 32 bytes, in batch_pos order
);
ALTER TABLE decisions ADD COLUMN batch_pos INTEGER;
ALTER TABLE risks ADD COLUMN batch_pos INTEGER;
ALTER TABLE responses ADD COLUMN batch_pos INTEGER;
