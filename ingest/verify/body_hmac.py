"""HMAC of the raw body carried in one header (Shopify, WooCommerce, Yampi, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import UnverifiedRequest
from ingest.verify.checks import (
    Algorithm,
    Encoding,
    check_signature,
    hmac_digest,
    required_header,
    strip_prefix,
)

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig


class BodyHmacVerifier:
    """Base of the body-HMAC schemes: set ``header``, ``algorithm`` and ``encoding``.

    Config values win over the class defaults; which ones a scheme honours is
    listed in ``options`` and checked when the config is loaded.
    """

    name: ClassVar[str]
    header: ClassVar[str]
    algorithm: ClassVar[Algorithm] = "sha256"
    encoding: ClassVar[Encoding] = "hex"
    options: ClassVar[frozenset[str]] = frozenset({"header"})
    credential_query: ClassVar[tuple[str, ...]] = ()

    @property
    def credential_headers(self) -> tuple[str, ...]:
        return (self.header,)

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        where = f"header {header}"
        value = strip_prefix(required_header(request, header), config.prefix, where)
        expected = hmac_digest(config, config.algorithm or self.algorithm, request.body)
        check_signature([expected], [value], config.encoding or self.encoding, where)
