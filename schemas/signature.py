"""Signature settings of one integration: which verifier checks its webhooks, and with
what secret. Scheme names and the options each scheme reads are validated against
the verifier registry (:mod:`ingest.verify`) when the config is loaded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

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

    @field_validator("scheme", check_fields=False)  # declared by each subclass
    @classmethod
    def _known_scheme(cls, scheme: str | None) -> str | None:
        # Imported here: ingest.verify depends on this module for typing only.
        from ingest.verify import get_verifier

        if scheme is not None:
            get_verifier(scheme)  # UnknownSchemeError (a ValueError) lists the valid names
        return scheme


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

    @model_validator(mode="after")
    def _options_apply(self) -> SignatureConfig:
        from ingest.verify import get_verifier

        accepted = get_verifier(self.scheme).options
        unused = [f for f in OPTION_FIELDS if getattr(self, f) is not None and f not in accepted]
        if unused:
            raise ValueError(f"scheme {self.scheme!r} does not use: {', '.join(unused)}")
        return self
