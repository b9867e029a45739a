-- Requests the gateway refused for a known integration (bad signature, body too
-- large, undecodable body), with the reason. Nothing of them reached Kafka's
-- webhooks topic; kept 30 days for "why is my webhook not arriving?".
CREATE TABLE IF NOT EXISTS {db}.rejected_requests
(
    request_id     String,
    account_id     LowCardinality(String),
    integration_id LowCardinality(String),
    received_at    DateTime64(3, 'UTC'),
    status         UInt16,
    reason         String,
    scheme         LowCardinality(String),
    method         LowCardinality(String),
    content_type   String,
    headers_json   String,
    body_bytes     UInt64,
    body_excerpt   String CODEC(ZSTD(3)),
    remote         String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (account_id, integration_id, received_at, request_id)
TTL toDateTime(received_at) + INTERVAL 30 DAY;
