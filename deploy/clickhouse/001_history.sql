-- hookline history schema. {db} is replaced by a validated identifier.
-- ReplacingMergeTree everywhere: the sink delivers at least once, so a row
-- written twice (same sorting key) collapses into one.

CREATE DATABASE IF NOT EXISTS {db};

-- One row per processed webhook (matched, unmatched, error, duplicate, ping).
CREATE TABLE IF NOT EXISTS {db}.webhooks
(
    request_id        String,
    account_id        LowCardinality(String),
    integration_id    LowCardinality(String),
    delivery_id       String,
    received_at       DateTime64(3, 'UTC'),
    processed_at      DateTime64(3, 'UTC'),
    status            LowCardinality(String),
    event             Nullable(String),
    name              Nullable(String),
    phone             Nullable(String),
    phone_raw         Nullable(String),
    fields_json       String,
    errors            Array(String),
    matched_event_ids Array(String),
    command_ids       Array(String),
    action_types      Array(String),
    content_type      String,
    body_format       LowCardinality(String),
    body_text         String CODEC(ZSTD(3)),
    parsed_json       String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (account_id, integration_id, received_at, request_id);

-- One row per command outcome (applied, duplicate, failed).
CREATE TABLE IF NOT EXISTS {db}.commands
(
    command_id     String,
    account_id     LowCardinality(String),
    integration_id LowCardinality(String),
    request_id     String,
    phone          String,
    type           LowCardinality(String),
    status         LowCardinality(String),
    detail         String,
    applied_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
PARTITION BY toYYYYMM(applied_at)
ORDER BY (account_id, phone, command_id, status);

-- Messages handed to a channel.
CREATE TABLE IF NOT EXISTS {db}.messages
(
    command_id   String,
    account_id   LowCardinality(String),
    phone        String,
    channel      LowCardinality(String),
    message_type LowCardinality(String),
    content      String,
    sent_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(sent_at)
ORDER BY (account_id, phone, command_id);

-- Latest lead state (mirror of the compacted topic hookline.leads).
CREATE TABLE IF NOT EXISTS {db}.leads
(
    account_id LowCardinality(String),
    phone      String,
    name       Nullable(String),
    tags       Array(String),
    fields     Map(String, String),
    applied    Array(String),
    updated_at DateTime64(3, 'UTC'),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (account_id, phone);

-- Audit log of config changes; also what an empty embedded broker is restored from.
CREATE TABLE IF NOT EXISTS {db}.config_log
(
    key         String,
    account_id  LowCardinality(String),
    record_kind LowCardinality(String),
    record_json String,
    deleted     UInt8,
    changed_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (account_id, key, changed_at, deleted);

-- Webhooks that could not be mapped, with the reason and the envelope for replay.
CREATE TABLE IF NOT EXISTS {db}.deadletters
(
    request_id     String,
    account_id     LowCardinality(String),
    integration_id LowCardinality(String),
    reason         String,
    errors         Array(String),
    envelope_json  String CODEC(ZSTD(3)),
    source_offset  UInt64,
    failed_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(failed_at)
ORDER BY (account_id, integration_id, request_id);
