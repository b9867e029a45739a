"""Credentials in bodies are masked where bodies are kept for people (hookline/redact.py)."""

from __future__ import annotations

import json

from hookline.redact import MASK, mask_data, mask_text


def test_json_fields_at_any_depth_and_any_case() -> None:
    body = {"hottok": "abc", "data": {"Token": 123, "items": [{"api_key": "k"}]}, "id": "keep"}
    text = json.dumps(body)
    masked = mask_text(text)
    assert json.loads(masked) == {
        "hottok": MASK,
        "data": {"Token": MASK, "items": [{"api_key": MASK}]},
        "id": "keep",
    }
    assert mask_data(body) == json.loads(masked)
    assert body["hottok"] == "abc"  # mask_data copies


def test_escaped_quotes_inside_json_values() -> None:
    assert mask_text(r'{"token": "a\"b", "x": "y"}') == '{"token": "***", "x": "y"}'


def test_form_multipart_and_xml() -> None:
    form = "origin_secret=s1&name=Ana&api_key=k2"
    assert mask_text(form) == "origin_secret=***&name=Ana&api_key=***"
    multipart = (
        '--b\r\nContent-Disposition: form-data; name="token"\r\n\r\nsecret-value\r\n'
        '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nAna\r\n--b--'
    )
    masked = mask_text(multipart)
    assert "secret-value" not in masked and "Ana" in masked
    assert mask_text("<order><hottok>t</hottok><id>1</id></order>") == (
        "<order><hottok>***</hottok><id>1</id></order>"
    )


def test_other_fields_are_untouched() -> None:
    text = '{"access_token_hint": "x", "tokens": 2, "event": "token=1"}'
    assert mask_text(text) == text


def test_the_integrations_secret_is_masked_wherever_it_is() -> None:
    text = '{"custom_auth": "my-long-secret", "note": "sent my-long-secret twice"}'
    masked = mask_text(text, ["my-long-secret", None])
    assert "my-long-secret" not in masked
    # Very short secrets are not searched for (they would mask ordinary words).
    assert mask_text("abc", ["abc"]) == "abc"
