"""The vocabulary of verification: the request as received, the rejection, the verifier."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig


class Headers(Mapping[str, str]):
    """Read-only header map with case-insensitive lookup (keys are stored lower-case).

    The repr names the headers but never shows their values: tokens travel in them.
    """

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._items = {str(name).lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    # Mapping's own get, items and __contains__ go through __getitem__ and __iter__ one
    # key at a time; these run for every webhook, so they read the dict directly.
    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._items.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def items(self) -> ItemsView[str, str]:
        return self._items.items()

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({sorted(self._items)!r})"


@dataclass(frozen=True, kw_only=True, repr=False)
class UnverifiedRequest:
    """A webhook exactly as the platform sent it, before any check."""

    method: str
    #: Full URL as the platform called it, query string included (Twilio signs it).
    url: str
    #: Any mapping; normalised to :class:`Headers` (case-insensitive lookup).
    headers: Mapping[str, str]
    #: Raw body after gzip decoding: every HMAC is computed over these bytes.
    body: bytes
    #: Unix seconds when the gateway received the request (timestamp tolerance).
    received_at: float
    #: Query parameters; when not given, parsed from ``url`` (the gateway gives them, the
    #: same as its URL's, so a request without any is not parsed again).
    query: dict[str, list[str]] | None = None

    def __post_init__(self) -> None:
        query = self.query
        if query is None:
            query = parse_qs(urlsplit(self.url).query, keep_blank_values=True)
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "headers", Headers(self.headers))
        object.__setattr__(self, "query", {key: list(values) for key, values in query.items()})
        object.__setattr__(self, "body", bytes(self.body))

    def __repr__(self) -> str:
        # No URL, header values or body: they may carry tokens.
        return f"UnverifiedRequest({self.method}, {self.headers!r}, {len(self.body)} bytes)"


class SignatureRejected(Exception):
    """The request failed its scheme's check. ``reason`` never contains the secret."""

    def __init__(self, reason: str, *, scheme: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scheme = scheme


class Verifier(Protocol):
    """One signature scheme. Registered by name with ``@register("name")``.

    A verifier declares where it reads credentials, so that nothing else restates it: the
    headers (never written to Kafka, see ingest/envelope.py) and query parameters. The body
    fields a token travels in are declared by the platforms the scheme checks
    (``credential_fields`` in platforms/<id>.py), because bodies are masked by the base layer.
    """

    #: The registered scheme name (set by ``register``).
    name: str
    #: Which optional :class:`SignatureConfig` fields this scheme reads; others are refused.
    options: frozenset[str]
    #: Headers this scheme reads a credential from (by default; a config may name another).
    credential_headers: tuple[str, ...]
    #: Query parameters this scheme reads a credential from.
    credential_query: tuple[str, ...]

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        """Return if the request is authentic, else raise :class:`SignatureRejected`."""
        ...
