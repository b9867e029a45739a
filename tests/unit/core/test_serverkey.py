"""The server key: URL tokens sealed for their integration, subkeys per purpose."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.serverkey import TokenBox, derive, encode_key, server_key
from core.settings import Settings

KEY = bytes(range(32))


def test_a_sealed_token_opens_for_its_integration_only() -> None:
    box = TokenBox(KEY)
    sealed = box.seal("tok-123", "int_1")
    assert "tok-123" not in sealed and sealed.startswith("v1:")
    assert box.open(sealed, "int_1") == "tok-123"
    assert box.open(sealed, "int_2") is None  # bound to its record
    assert TokenBox(bytes(32)).open(sealed, "int_1") is None  # another server key
    assert box.open("v1:" + "A" * 40, "int_1") is None
    assert box.open("not sealed", "int_1") is None
    assert box.seal("tok-123", "int_1") != sealed  # a fresh nonce each time


def test_subkeys_differ_by_purpose() -> None:
    assert derive(KEY, "url-token") != derive(KEY, "console-session")
    assert len(derive(KEY, "url-token")) == 32


def test_the_key_comes_from_settings() -> None:
    assert server_key(Settings(server_key=None)) is None
    assert TokenBox.of(Settings(server_key=None)) is None
    settings = Settings(server_key=SecretStr(encode_key(KEY)))
    assert server_key(settings) == KEY
    assert TokenBox.of(settings) is not None
    with pytest.raises(ValueError, match="32 bytes"):
        server_key(Settings(server_key=SecretStr(encode_key(b"short"))))
