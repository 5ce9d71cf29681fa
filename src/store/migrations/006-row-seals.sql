-- 006: every row of the response and record tables names the ledger entry that sealed it (issue 11).
-- Before, these rows had no ledger entry a verifier could find (the entries hashed the in-memory record,
-- or there was none), so a changed byte went unnoticed. Each write now reads its row back, hashes every
-- column but ledger_seq (store/row-seal.ts), appends `put:<table>` and stores that entry's seq here; a row
-- that changes in place (an approval decided, a gate record resolved) is sealed again by the same write.
-- Rows written before this migration keep 0: `agentprov verify` names them as not ledgered.
ALTER TABLE agents ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE approvals ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE approval_steps ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_records ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE containments ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record_captures ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record_orphans ADD COLUMN ledger_seq INTEGER NOT NULL DEFAULT 0;
