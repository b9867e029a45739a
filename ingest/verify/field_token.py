"""Generic static token in a body field (JSON or form), the body-side twin of
``header_token``: which field is declared by the platforms bound to this scheme
(``credential_fields`` in their units), so a platform whose token travels in its body needs
no verifier of its own. With no platform declaring a field, every request is refused."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("field_token")
class FieldTokenVerifier(TokenVerifier):
    options = frozenset()
