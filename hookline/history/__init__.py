"""History: the sink that writes records to ClickHouse and the queries that read them."""
