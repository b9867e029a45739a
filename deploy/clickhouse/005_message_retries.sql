-- Why a message was not (surely) sent (the channel's classification of the provider's
-- answer: window_closed, invalid_recipient, auth, ...), the first attempt a retried
-- message was sent again for, and its command, to send a failed message again.
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT '' AFTER status;
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS retry_of String DEFAULT '' AFTER sent_at;
ALTER TABLE {db}.messages ADD COLUMN IF NOT EXISTS command_json String DEFAULT '' CODEC(ZSTD(3)) AFTER retry_of;
