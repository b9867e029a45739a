"""Console sessions and CSRF tokens: signed, bound, expiring, and holding no credential."""

from __future__ import annotations

import base64
import json

from hookline.console.session import ADMIN, SESSION_SECONDS, SessionSigner

KEY = b"k" * 32
NOW = 1_800_000_000.0


def test_a_session_round_trips_and_holds_no_credential() -> None:
    signer = SessionSigner(KEY)
    session = signer.issue("acc_1", "sha256-of-the-key", now=NOW)
    cookie = signer.dump(session)
    assert signer.load(cookie, now=NOW + 10) == session
    payload = base64.urlsafe_b64decode(cookie.split(".")[0] + "==")
    assert b"sha256-of-the-key" not in payload
    assert json.loads(payload)[0] == "acc_1"
    assert not session.is_admin and signer.issue(ADMIN, "h", now=NOW).is_admin


def test_a_forged_or_altered_cookie_is_no_session() -> None:
    signer = SessionSigner(KEY)
    cookie = signer.dump(signer.issue("acc_1", "h", now=NOW))
    payload, mac = cookie.split(".")
    forged = (
        base64.urlsafe_b64encode(json.dumps(["acc_2", "x", NOW + 99, "n"]).encode())
        .decode()
        .rstrip("=")
    )
    for bad in (
        f"{forged}.{mac}",
        f"{payload}.{mac[:-2]}AA",
        payload,
        "",
        None,
        "a.b.c",
        SessionSigner(b"o" * 32).dump(signer.issue("acc_1", "h", now=NOW)),
    ):
        assert signer.load(bad, now=NOW) is None


def test_a_session_expires() -> None:
    signer = SessionSigner(KEY)
    cookie = signer.dump(signer.issue("acc_1", "h", now=NOW))
    assert signer.load(cookie, now=NOW + SESSION_SECONDS - 1) is not None
    assert signer.load(cookie, now=NOW + SESSION_SECONDS) is None


def test_fingerprints_are_keyed_and_follow_the_credential() -> None:
    signer = SessionSigner(KEY)
    assert signer.fingerprint("h1") == signer.fingerprint("h1")
    assert signer.fingerprint("h1") != signer.fingerprint("h2")
    assert signer.fingerprint("h1") != SessionSigner(b"o" * 32).fingerprint("h1")
    assert "h1" not in signer.fingerprint("h1")


def test_csrf_tokens_are_bound_to_the_nonce() -> None:
    signer = SessionSigner(KEY)
    first, second = signer.issue("acc_1", "h", now=NOW), signer.issue("acc_1", "h", now=NOW)
    token = signer.csrf_token(first.nonce)
    assert signer.csrf_ok(first.nonce, token)
    assert first.nonce != second.nonce  # a new sign-in, a new token
    assert not signer.csrf_ok(second.nonce, token)
    assert not signer.csrf_ok(first.nonce, None)
    assert not signer.csrf_ok(None, token)
    assert not signer.csrf_ok(first.nonce, token[:-1] + "x")
    assert not SessionSigner(b"o" * 32).csrf_ok(first.nonce, token)


def test_a_short_key_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="32 bytes"):
        SessionSigner(b"short")
