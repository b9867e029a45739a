"""``X-Hub-Signature: <algorithm>=<hex>``, HMAC of the raw body, the algorithm named by the
prefix (``sha1=`` or ``sha256=``). Pagar.me signs its postbacks so (``sha1=`` in the
published examples, ``sha256=`` in newer accounts' guides): the prefix says which.

Sources: Pagar.me "Validando um postback" (https://docs.pagar.me/docs/validando-um-postback;
``X-Hub-Signature``, HMAC of the body with the account's key); the same header and
``sha256=`` form in public integrations (github:fabio1974/mvt-events
docs/WEBHOOK_ORDER_DOCUMENTATION.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import Algorithm, check_signature, hmac_digest, required_header
from ingest.verify.registry import register

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

HEADER = "X-Hub-Signature"
_ALGORITHMS: dict[str, Algorithm] = {"sha1": "sha1", "sha256": "sha256"}


@register("hub_signature")
class HubSignatureVerifier:
    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset({"header"})
    credential_headers: ClassVar[tuple[str, ...]] = (HEADER,)
    credential_query: ClassVar[tuple[str, ...]] = ()

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or HEADER
        value = required_header(request, header)
        name, sep, digest = value.partition("=")
        algorithm = _ALGORITHMS.get(name.strip().lower())
        if not sep or algorithm is None:
            raise SignatureRejected(f"malformed header {header}: expected sha1=... or sha256=...")
        expected = hmac_digest(config, algorithm, request.body)
        check_signature([expected], [digest.strip()], "hex", f"header {header}")
