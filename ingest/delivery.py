"""The delivery id of a webhook: the platform's own id where its preset says one
travels (a header such as ``X-Shopify-Webhook-Id``, a body path such as Stripe's
``id``), else a hash of what was delivered. Pure.

Retries of one delivery carry the same id, so both the gateway and the workers can
tell them apart from new deliveries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.body import parsed_once
from core.sources import SourceError, read_source, reads_body
from platforms import UnknownPlatformError, get_preset
from schemas.mapping import Source

#: Ids longer than this are not ids; the hash is used instead.
MAX_ID_LENGTH = 200


def delivery_source(platform: str) -> Source | None:
    """Where the platform puts its delivery id, if anywhere."""
    try:
        return get_preset(platform).delivery_id
    except UnknownPlatformError:
        return None


def content_hash(body: bytes, query: Mapping[str, Sequence[str]]) -> str:
    """``sha256:<hex>`` of the body, and of the query string when there is one
    (some platforms send the event in the query string with an empty body)."""
    digest = hashlib.sha256(body)
    for key in sorted(query):
        for value in query[key]:
            digest.update(f"\x00{key}={value}".encode("utf-8", errors="surrogatepass"))
    return "sha256:" + digest.hexdigest()


def _found(
    source: Source,
    headers: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    data: Callable[[], Any],
) -> object:
    body = data() if reads_body(source) else None  # parsed only for an expression
    try:
        return read_source(source, body, headers, query)
    except SourceError:
        return None


def delivery_id(
    source: Source | None,
    *,
    headers: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    body: bytes,
    content_type: str | None,
    data: Callable[[], Any] | None = None,
) -> str:
    """The platform's id found at ``source`` (headers keyed lower-case), else the hash.
    ``data``: the body's parsed data, when the caller parses it for others too
    (:func:`core.body.parsed_once`).

    Only a non-empty string or integer of at most :data:`MAX_ID_LENGTH` characters
    counts as an id; anything else (missing, object, boolean) falls back to the hash.
    """
    if source is not None:
        value = _found(source, headers, query, data or parsed_once(body, content_type))
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and 0 < len(value.strip()) <= MAX_ID_LENGTH:
            return value.strip()
    return content_hash(body, query)
