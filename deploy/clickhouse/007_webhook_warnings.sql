-- What a webhook's mapping read but found doubtful (a national phone that looks
-- foreign, ...): shown with the webhook, never blocking its lead.
ALTER TABLE {db}.webhooks ADD COLUMN IF NOT EXISTS warnings Array(String) DEFAULT [] AFTER errors;
