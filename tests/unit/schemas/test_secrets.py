"""Secret fields and their fingerprints (schemas/types.py ``Secret``, ``redact_secrets``)."""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any

from pydantic import BaseModel, SecretStr

from core.redact import is_credential_name
from schemas.channels import GenericHttpSettings
from schemas.config import Channel, ConfigRecord, Integration, UrlToken
from schemas.types import Secret, fingerprint, redact_secrets, secret_fields


def test_a_fingerprint_tells_secrets_apart_without_showing_them() -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", fingerprint("s3cret-value"))
    assert fingerprint("s3cret-value") == fingerprint("s3cret-value") != fingerprint("other")


def test_the_integration_secret_is_a_fingerprint() -> None:
    integration = Integration(
        id="int_1", account_id="acc_1", name="Loja", tokens=[UrlToken(hash="ab")], secret="whsec_1"
    )
    data = redact_secrets(integration)
    assert data["secret"] == fingerprint("whsec_1") and "whsec_1" not in str(data)
    # Everything else is the record as it is written to the topic.
    assert data == integration.model_dump(mode="json") | {"secret": fingerprint("whsec_1")}
    assert redact_secrets(integration.model_copy(update={"secret": None}))["secret"] is None


def test_dict_valued_secrets_are_fingerprinted_value_by_value_at_any_depth() -> None:
    channel = Channel(
        id="acc_1",
        account_id="acc_1",
        settings=GenericHttpSettings(
            type="generic_http",
            url="https://crm.example/send",
            headers={"Authorization": "Bearer t0k", "X-Api-Key": "k3y"},
        ),
    )
    settings = redact_secrets(channel)["settings"]
    assert settings["headers"] == {
        "Authorization": fingerprint("Bearer t0k"),
        "X-Api-Key": fingerprint("k3y"),
    }
    assert settings["url"] == "https://crm.example/send"


class _Inner(BaseModel):
    token: Annotated[SecretStr, Secret]
    keys: Annotated[list[str], Secret] = []


class _Outer(BaseModel):
    name: str
    inner: list[_Inner]
    by_name: dict[str, _Inner] = {}


def test_secrets_inside_lists_dicts_and_secret_types() -> None:
    inner = _Inner(token=SecretStr("t1"), keys=["k1", "k2"])
    data = redact_secrets(_Outer(name="n", inner=[inner], by_name={"a": inner}))
    expected = {"token": fingerprint("t1"), "keys": [fingerprint("k1"), fingerprint("k2")]}
    assert data == {"name": "n", "inner": [expected], "by_name": {"a": expected}}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """Every model class an annotation names (inside unions, lists, dicts, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models(arg)]


#: Fields named like credentials that hold none: hashes of URL tokens and API keys, and
#: the verifier's options (scheme, header name, ...).
NOT_SECRETS = {"Integration.tokens", "Account.api_key_hash", "Integration.signature"}


def test_every_config_field_named_like_a_credential_is_marked_secret() -> None:
    # A record kind added later with, say, ``api_token: str`` fails here until marked.
    pending = _models(ConfigRecord)
    seen: set[type[BaseModel]] = set()
    unmarked = []
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            pending += _models(field.annotation)
            if is_credential_name(name) and name not in secret_fields(model):
                unmarked.append(f"{model.__name__}.{name}")
    assert Channel in seen and GenericHttpSettings in seen
    assert set(unmarked) == NOT_SECRETS
