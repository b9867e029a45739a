-- What the API's views read, without reading a whole account (bench/history.py: with
-- 1,000,000 webhooks stored, a lead's timeline and the leads of an integration read
-- every webhook of the account, an e-mail filter every lead).
--
-- The webhooks' keys sorted by account and phone (a lead's timeline; an integration's
-- leads in phone order). A ReplacingMergeTree keeps a projection only when its merges
-- rebuild it (ClickHouse 24.8 or later).
ALTER TABLE {db}.webhooks MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE {db}.webhooks ADD PROJECTION IF NOT EXISTS webhooks_by_phone
(
    SELECT account_id, phone, received_at, request_id, integration_id, status
    ORDER BY account_id, phone, received_at, request_id
);
-- Lead filters that few leads pass: a tag, a custom field's value, a standard field's
-- (an e-mail, a document). Granules without the value are skipped, FINAL included.
ALTER TABLE {db}.leads ADD INDEX IF NOT EXISTS leads_tags tags TYPE bloom_filter GRANULARITY 1;
ALTER TABLE {db}.leads ADD INDEX IF NOT EXISTS leads_field_values mapValues(fields) TYPE bloom_filter GRANULARITY 1;
ALTER TABLE {db}.leads ADD INDEX IF NOT EXISTS leads_profile_values mapValues(profile) TYPE bloom_filter GRANULARITY 1;
-- Parts written before get them when merged; these build them now, in the background.
-- They rewrite every part, so hookline runs them only in the migration that added what
-- they build (hookline/history/clickhouse.py); applying this file by hand, run them once.
ALTER TABLE {db}.webhooks MATERIALIZE PROJECTION webhooks_by_phone;
ALTER TABLE {db}.leads MATERIALIZE INDEX leads_tags;
ALTER TABLE {db}.leads MATERIALIZE INDEX leads_field_values;
ALTER TABLE {db}.leads MATERIALIZE INDEX leads_profile_values;
