"""Channel settings (schemas/channels.py): one registry of types that the union, the API
and the channels follow; credentials marked Secret, so the config audit log keeps only
their fingerprints."""

from __future__ import annotations

import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from actions.channels import CHANNELS
from schemas.api import ChannelIn
from schemas.channels import (
    CHANNEL_SETTINGS,
    CHANNEL_TYPES,
    ChannelSettings,
    EvolutionSettings,
    WhatsAppCloudSettings,
    ZApiSettings,
)
from schemas.config import Channel
from schemas.types import fingerprint, redact_secrets, secret_fields


def test_every_type_is_in_the_union_the_api_and_the_channels() -> None:
    (union, *_) = typing.get_args(ChannelSettings)
    assert set(typing.get_args(union)) == set(CHANNEL_SETTINGS)
    assert set(CHANNELS) == set(CHANNEL_SETTINGS)
    mapping = ChannelIn.model_json_schema()["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(CHANNEL_TYPES)
    with pytest.raises(ValidationError, match="whatsapp_cloud"):
        TypeAdapter(ChannelSettings).validate_python({"type": "telegram"})


@pytest.mark.parametrize(
    ("settings", "secrets"),
    [
        (
            WhatsAppCloudSettings(
                type="whatsapp_cloud", phone_number_id="1", access_token="EAAG-x1"
            ),
            {"access_token": "EAAG-x1"},
        ),
        (
            EvolutionSettings(
                type="evolution", base_url="https://e", instance="i", api_key="evo-k2"
            ),
            {"api_key": "evo-k2"},
        ),
        (
            ZApiSettings(type="zapi", instance_id="i", instance_token="zt-3", client_token="zc-4"),
            {"instance_token": "zt-3", "client_token": "zc-4"},
        ),
    ],
)
def test_credentials_are_fingerprinted_in_the_audit_log(settings, secrets: dict) -> None:
    assert secret_fields(type(settings)) == set(secrets)
    data = redact_secrets(Channel(id="acc_1", account_id="acc_1", settings=settings))
    for name, value in secrets.items():
        assert data["settings"][name] == fingerprint(value)
    assert all(value not in str(data) for value in secrets.values())


def test_pacing_defaults() -> None:
    cloud = WhatsAppCloudSettings(type="whatsapp_cloud", phone_number_id="1", access_token="t")
    assert (cloud.messages_per_second, cloud.recipient_gap_seconds) == (20.0, 1.0)
    zapi = ZApiSettings(type="zapi", instance_id="i", instance_token="t")
    assert zapi.messages_per_second == 1.0 and zapi.client_token is None
    assert str(cloud.base_url).startswith("https://graph.facebook.com")
