"""The webhook gateway: URL tokens, body parsing, size limits, signature verification,
and the write to Kafka. Thin: no mapping happens here."""
