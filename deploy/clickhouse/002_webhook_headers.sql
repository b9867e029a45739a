-- Request headers (credentials removed) of each webhook, for the data-structure
-- view and suggested mappings (events that travel in headers, e.g. X-Shopify-Topic).
ALTER TABLE {db}.webhooks ADD COLUMN IF NOT EXISTS headers_json String DEFAULT '{}' AFTER content_type;
