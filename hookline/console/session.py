"""Console sessions and CSRF tokens: pure functions of a key, a clock and cookie text.

A session is a signed cookie (HMAC-SHA256 under a key derived from the server key):
who signed in (an account id, or ``admin``), a fingerprint of the credential used (so
a changed API key or admin token ends the session), an expiry and a random nonce. It
holds no credential. The CSRF token of a form is an HMAC of that nonce (of a pre-sign-in
nonce cookie on the sign-in page), so it is bound to the browser's session and
changes at every sign-in; every console POST must carry it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

#: How long a sign-in lasts.
SESSION_SECONDS = 12 * 3600
ADMIN = "admin"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Session:
    #: An account id, or :data:`ADMIN`.
    subject: str
    #: :meth:`SessionSigner.fingerprint` of the credential that signed in.
    fingerprint: str
    expires: int
    nonce: str

    @property
    def is_admin(self) -> bool:
        return self.subject == ADMIN


class SessionSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the session key must have at least 32 bytes")
        self._key = key

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}|{text}".encode(), hashlib.sha256).digest())

    def fingerprint(self, credential_hash: str) -> str:
        """A keyed digest of a stored credential hash (never the credential itself)."""
        return self._mac("fingerprint", credential_hash)[:22]

    def issue(self, subject: str, credential_hash: str, now: float | None = None) -> Session:
        now = time.time() if now is None else now
        return Session(
            subject, self.fingerprint(credential_hash), int(now) + SESSION_SECONDS, new_nonce()
        )

    def dump(self, session: Session) -> str:
        payload = _b64(
            json.dumps(
                [session.subject, session.fingerprint, session.expires, session.nonce],
                separators=(",", ":"),
            ).encode()
        )
        return f"{payload}.{self._mac('session', payload)}"

    def load(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie, or None if it is missing, forged, malformed or expired."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        try:
            subject, fingerprint, expires, nonce = json.loads(_unb64(payload))
            session = Session(str(subject), str(fingerprint), int(expires), str(nonce))
        except (ValueError, TypeError):
            return None
        now = time.time() if now is None else now
        return session if session.expires > now else None

    def csrf_token(self, nonce: str) -> str:
        return self._mac("csrf", nonce)

    def csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        """Constant-time check of a submitted token against the browser's nonce."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(nonce))
