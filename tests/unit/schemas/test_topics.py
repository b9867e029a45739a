"""Each topic's records as bytes (schemas/topics.py): what is written never changes, however
it is encoded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from core.config.state import secret_hash
from schemas.channels import GenericHttpSettings
from schemas.commands import ActionCommand, commands_of
from schemas.config import (
    Account,
    Action,
    Channel,
    ChatbotFlow,
    ConversionEvent,
    CustomField,
    Integration,
    IntegrationMapping,
    QuickReply,
    UrlToken,
)
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.history import (
    CommandResult,
    ConfigChange,
    MessageSent,
    RejectedRequest,
    WebhookHistory,
)
from schemas.leads import CommandOutcome, LeadState, SendIntents
from schemas.mapping import HeaderSource, Mapping
from schemas.topics import (
    ALL_TOPICS,
    COMMANDS,
    CONFIG,
    DEADLETTER,
    DEDUP,
    HISTORY,
    LEADS,
    SENDS,
    WEBHOOKS,
    TopicSpec,
)
from schemas.types import Plan

AT = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
IDS = {"account_id": "acc_1", "integration_id": "int_1"}
COMMAND = ActionCommand(
    command_id="c1",
    **IDS,
    request_id="r1",
    event_id="evt_1",
    action_id="act_1",
    type="send_message",
    phone="+5511999999999",
    lead_name="Ana Ção",
    profile={"email": "a@b.co"},
    params={"text": "Oi \u2028 😀", "fallback_template": {"name": "t", "body_params": ["x"]}},
    created_at=AT,
)
ENVELOPE = WebhookEnvelope(
    request_id="r1",
    **IDS,
    received_at=AT,
    content_type="application/json",
    headers={"x-a": "b"},
    query={"q": ["1", "2"]},
    body=b'{"a": "\xc3\xa7"}\x00\xff',
    delivery_id="d1",
)
RECORDS: list[tuple[TopicSpec, BaseModel]] = [
    (WEBHOOKS, ENVELOPE),
    (COMMANDS, COMMAND),  # one command: the record before lists, still read
    (
        DEADLETTER,
        DeadLetter(
            envelope=ENVELOPE,
            reason="r",
            errors=["e"],
            source_topic="t",
            source_partition=1,
            source_offset=2,
        ),
    ),
    (DEDUP, DedupMark(request_id="r1", received_at=AT)),
    (
        LEADS,
        LeadState(
            account_id="acc_1",
            phone="+5511999999999",
            tags=["a"],
            outcomes={"c1": CommandOutcome(status="applied", at=AT, channel="recording")},
            updated_at=AT,
        ),
    ),
    (
        SENDS,
        SendIntents(
            sending=["c2"], settled={"c1": CommandOutcome(status="applied", at=AT, channel="zapi")}
        ),
    ),
    (
        HISTORY,
        WebhookHistory(
            request_id="r1",
            **IDS,
            received_at=AT,
            processed_at=AT,
            status="matched",
            fields={"n": 1.5, "o": {"x": [None, True]}},
            parsed_json='{"a": 1}',
        ),
    ),
    (
        HISTORY,
        CommandResult(
            command_id="c1", **IDS, request_id="r1", phone="+55", type="add_tag", status="applied"
        ),
    ),
    (
        HISTORY,
        MessageSent(
            command_id="c1",
            account_id="acc_1",
            phone="+55",
            channel="recording",
            message_type="text",
            content="Oi",
            status="failed",
            reason="window_closed",
            command=COMMAND,
        ),
    ),
    (
        HISTORY,
        ConfigChange(
            key="account:acc_1", account_id="acc_1", record_kind="account", record_json="{}"
        ),
    ),
    (
        HISTORY,
        RejectedRequest(
            request_id="r1", **IDS, received_at=AT, status=401, reason="bad", method="POST"
        ),
    ),
    (CONFIG, Account(id="acc_1", name="A", plan=Plan.elite, api_key_hash=secret_hash("k"))),
    (
        CONFIG,
        Integration(
            id="int_1", account_id="acc_1", name="i", tokens=[UrlToken(hash="h")], secret="s"
        ),
    ),
    (
        CONFIG,
        IntegrationMapping(
            id="int_1",
            account_id="acc_1",
            mapping=Mapping(
                event=HeaderSource(header="X-Event"), name=("a", "b"), phone="p", fields={"f": "x"}
            ),
        ),
    ),
    (CONFIG, CustomField(id="fld_1", account_id="acc_1", name="valor", type="number")),
    (
        CONFIG,
        ConversionEvent(
            id="evt_1", account_id="acc_1", integration_id="int_1", name="e", identification="E"
        ),
    ),
    *(
        (
            CONFIG,
            Action(id="act_1", **IDS, event_id="evt_1", params=params),
        )
        for params in (
            {"type": "add_tag", "tag": "t"},
            {"type": "send_message", "text": "Oi"},
            {"type": "send_message", "text": "Oi", "fallback_template": {"name": "t"}},
            {"type": "send_quick_reply", "quick_reply_id": "qr_1"},
        )
    ),
    (
        CONFIG,
        Channel(
            id="acc_1",
            account_id="acc_1",
            settings=GenericHttpSettings(type="generic_http", url="http://x/send"),
        ),
    ),
    (CONFIG, QuickReply(id="qr_1", account_id="acc_1", name="q", text="Oi", buttons=["a"])),
    (CONFIG, ChatbotFlow(id="bot_1", account_id="acc_1", name="b", flow="f")),
]


@pytest.mark.parametrize(("spec", "record"), RECORDS, ids=lambda v: getattr(v, "name", ""))
def test_a_record_is_written_as_its_model_writes_it_and_read_back(
    spec: TopicSpec, record: BaseModel
) -> None:
    """Straight to bytes by the record's own serializer: the bytes ``model_dump_json`` and,
    for a topic of several kinds, the union's serializer wrote."""
    encoded = spec.encode(record)
    assert encoded == record.model_dump_json().encode()
    if not isinstance(spec.value, type):
        assert encoded == spec.value.dump_json(record)
    assert spec.decode(encoded) == record


def test_a_commands_record_is_one_webhooks_commands_for_a_lead_in_order() -> None:
    second = COMMAND.model_copy(update={"command_id": "c2", "action_id": "act_2"})
    encoded = COMMANDS.encode([COMMAND, second])
    assert json.loads(encoded) == [json.loads(c.model_dump_json()) for c in (COMMAND, second)]
    assert encoded == COMMANDS.value.dump_json([COMMAND, second])  # pydantic's own bytes
    assert COMMANDS.encode([]) == b"[]"
    assert commands_of(COMMANDS.decode(encoded)) == [COMMAND, second]
    assert commands_of(COMMANDS.decode(COMMAND.model_dump_json().encode())) == [COMMAND]


def test_every_topic_is_covered() -> None:
    assert {spec.name for spec, _ in RECORDS} == {spec.name for spec in ALL_TOPICS}


def test_the_embedded_mode_produces_leads_without_what_only_the_executor_reads() -> None:
    (lead,) = [record for spec, record in RECORDS if spec is LEADS]
    assert LEADS.produced_when_embedded_as is not None
    produced = LEADS.decode(LEADS.produced_when_embedded_as(lead))
    assert produced == lead.model_copy(update={"outcomes": {}}) and lead.outcomes
    with pytest.raises(ValueError, match="only a produced topic read in the journals"):
        TopicSpec("t", "k", DedupMark, partitions=1, produced_when_embedded_as=bytes)
