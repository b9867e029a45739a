-- A lead's remembered command ids are the executor's memory (up to 500, to know a
-- command that comes again), not history: every command's outcome is a row of
-- commands (account_id, phone, command_id, status). The sink no longer receives them
-- in the embedded mode, so the column is dropped rather than left half filled.
ALTER TABLE {db}.leads DROP COLUMN IF EXISTS applied;
