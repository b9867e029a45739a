"""Signature settings of one integration: which verifier checks its webhooks, and with
what secret. Shapes only: whether a scheme name is registered and reads the options set
is checked by the stages that use these models against the verifier registry
(``ingest.verify.checked_config`` when the gateway builds a config, the API when an
integration is written), since ``schemas/`` imports no stage."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

#: An HTTP header name (RFC 9110 token).
HeaderName = Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", max_length=100)]

#: Optional fields a scheme may or may not read; setting one it ignores is an error.
OPTION_FIELDS = ("header", "algorithm", "encoding", "prefix", "tolerance_seconds")


class _SchemeOptions(BaseModel):
    """The optional fields a scheme may read; None keeps the scheme's default."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    #: Overrides the scheme's header name.
    header: HeaderName | None = None
    algorithm: Literal["sha1", "sha256", "sha512"] | None = None
    encoding: Literal["hex", "base64"] | None = None
    #: Stripped from the received value before comparing, e.g. ``sha256=``.
    prefix: str | None = Field(default=None, min_length=1, max_length=64)
    #: Freshness window of timestamped schemes; the scheme's default when None.
    tolerance_seconds: int | None = Field(default=None, ge=1, le=86_400)


class SignatureOptions(_SchemeOptions):
    """What an integration stores about its verifier, besides the (write-only) secret.

    ``scheme`` None means the platform's scheme (see :mod:`ingest.signing`); which
    options apply is checked against the chosen scheme when the integration is written.
    """

    #: A registered scheme name overriding the platform's, e.g. ``hmac`` or ``header_token``.
    scheme: str | None = None


class SignatureConfig(_SchemeOptions):
    # The secret is a SecretStr (masked in repr, str and dumps); inputs are kept out
    # of validation errors so a bad config never prints it either.

    #: A registered scheme name, e.g. ``stripe`` or ``hmac``.
    scheme: str
    #: HMAC key or static token. Read with ``secret.get_secret_value()``.
    secret: SecretStr = Field(min_length=1)
