-- What the channel answered for each message: sent, failed (not delivered) or
-- unknown (no answer, or the executor was interrupted: never sent again).
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS status LowCardinality(String) DEFAULT 'sent' AFTER content;
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS detail String DEFAULT '' AFTER status;
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS provider_message_id String DEFAULT '' AFTER detail;
