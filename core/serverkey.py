"""The server key and what is derived from it: the box URL tokens are kept in (AES-GCM,
bound to their integration) and the key console sessions are signed with.

URL tokens are still looked up by their sha256 (the gateway needs nothing else); the
sealed copy only lets the owner read the URL again. A record without one (made before
the key existed, or by a process without it) keeps working: its URL is shown once, and
rotating it makes a readable one."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.settings import Settings

KEY_FILE = "server.key"
SETTING = "HOOKLINE_SERVER_KEY"
_SEALED_PREFIX = "v1:"


def derive(server_key: bytes, purpose: str) -> bytes:
    """An independent 256-bit key for one purpose (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"hookline:{purpose}".encode()
    ).derive(server_key)


def server_key(settings: Settings) -> bytes | None:
    """The configured server key, or None when the process has none."""
    if settings.server_key is None or not settings.server_key.get_secret_value():
        return None
    key = base64.urlsafe_b64decode(settings.server_key.get_secret_value())
    if len(key) != 32:
        raise ValueError(f"{SETTING} must be 32 bytes, urlsafe base64")
    return key


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


class TokenBox:
    """Seals URL tokens for storage; each is bound to its integration id."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(derive(key, "url-token"))

    @classmethod
    def of(cls, settings: Settings) -> TokenBox | None:
        key = server_key(settings)
        return cls(key) if key is not None else None

    def seal(self, token: str, integration_id: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, token.encode(), integration_id.encode())
        return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, integration_id: str) -> str | None:
        """The token, or None when it was sealed under another key or for another record."""
        if not sealed.startswith(_SEALED_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(_SEALED_PREFIX))
            return self._aead.decrypt(raw[:12], raw[12:], integration_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None
