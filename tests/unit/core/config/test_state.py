from datetime import datetime, timedelta

from core.config.state import ConfigState, secret_hash
from schemas.config import (
    Account,
    Action,
    ChatbotFlow,
    ConversionEvent,
    Integration,
    IntegrationMapping,
    QuickReply,
    UrlToken,
)
from schemas.mapping import Mapping
from schemas.types import Plan, utcnow


def _state() -> ConfigState:
    state = ConfigState()
    state.apply(
        "account:acc_1",
        Account(id="acc_1", name="A", plan=Plan.business, api_key_hash=secret_hash("key-a")),
    )
    state.apply(
        "integration:int_1",
        Integration(
            id="int_1", account_id="acc_1", name="i", tokens=[UrlToken(hash=secret_hash("tok"))]
        ),
    )
    return state


def test_lookups_by_secret_use_hashes() -> None:
    state = _state()
    assert state.account_by_api_key("key-a").id == "acc_1"
    assert state.account_by_api_key("key-b") is None
    assert state.integration_by_token("tok").id == "int_1"
    assert state.integration_by_token("nope") is None


def test_expired_token_finds_nothing_and_current_one_works() -> None:
    state = _state()
    past = utcnow() - timedelta(seconds=1)
    state.apply(
        "integration:int_1",
        Integration(
            id="int_1",
            account_id="acc_1",
            name="i",
            tokens=[
                UrlToken(hash=secret_hash("old"), expires_at=past),
                UrlToken(hash=secret_hash("new")),
            ],
        ),
    )
    assert state.integration_by_token("old") is None
    assert state.integration_by_token("tok") is None  # replaced record: index follows
    assert state.integration_by_token("new").id == "int_1"


def test_children_follow_updates_and_tombstones() -> None:
    state = _state()
    event = ConversionEvent(
        id="conversion_1",
        account_id="acc_1",
        integration_id="int_1",
        name="Cancel",
        identification="PURCHASE_CANCELED",
    )
    state.apply(event.key, event)
    for i, tag in enumerate(["a", "b"]):
        action = Action(
            id=f"action_{i}",
            account_id="acc_1",
            integration_id="int_1",
            event_id="conversion_1",
            type="add_tag",
            tag=tag,
        )
        state.apply(action.key, action)
    assert [a.params.tag for a in state.actions_of("conversion_1")] == ["a", "b"]
    assert state.matching_events("int_1", "PURCHASE_CANCELED") == [event]
    assert state.matching_events("int_1", "PURCHASE_APPROVED") == []
    state.apply("action:action_0", None)
    assert [a.params.tag for a in state.actions_of("conversion_1")] == ["b"]
    state.apply(event.key, None)
    assert state.events_of("int_1") == []


def test_mapping_and_tenant_lists() -> None:
    state = _state()
    mapping = Mapping(event="event", name="name", phone="phone")
    state.apply(
        "mapping:int_1", IntegrationMapping(id="int_1", account_id="acc_1", mapping=mapping)
    )
    assert state.mapping("int_1") == mapping
    assert [i.id for i in state.integrations_of("acc_1")] == ["int_1"]
    assert state.integrations_of("acc_2") == []


def test_account_objects_and_the_actions_that_name_them() -> None:
    state = _state()
    reply = QuickReply(id="qr_1", account_id="acc_1", name="Oi", text="Oi {{ name }}")
    flow = ChatbotFlow(id="bot_1", account_id="acc_1", name="Bot", flow="f1")
    for record in (reply, flow):
        state.apply(record.key, record)

    def action(params: dict) -> Action:
        return Action(
            id="act_1", account_id="acc_1", integration_id="int_1", event_id="evt_1", params=params
        )

    sends_reply = action({"type": "send_quick_reply", "quick_reply_id": "qr_1"})
    state.apply(sends_reply.key, sends_reply)
    assert state.quick_replies_of("acc_1") == [reply]
    assert state.chatbot_flows_of("acc_1") == [flow]
    assert state.actions_using("quick_reply", "qr_1") == [sends_reply]
    # The same action now names the flow: the index follows it.
    sends_flow = action({"type": "send_chatbot", "chatbot_id": "bot_1"})
    state.apply(sends_flow.key, sends_flow)
    assert state.actions_using("quick_reply", "qr_1") == []
    assert state.actions_using("chatbot_flow", "bot_1") == [sends_flow]
    # Actions saved before objects existed name none.
    legacy = action({"type": "send_chatbot", "flow": "texto livre"})
    state.apply(legacy.key, legacy)
    assert legacy.object_key is None and state.actions_using("chatbot_flow", "bot_1") == []
    state.apply(flow.key, None)
    assert state.chatbot_flows_of("acc_1") == []


# -- what is kept between config changes --------------------------------------------------
def _event(event_id: str, created_at: datetime) -> ConversionEvent:
    return ConversionEvent(
        id=event_id,
        account_id="acc_1",
        integration_id="int_1",
        name=event_id,
        identification="PAID",
        created_at=created_at,
    )


def test_sorted_children_follow_every_change_and_are_the_callers_own() -> None:
    state = _state()
    now = utcnow()
    first, second = _event("evt_1", now), _event("evt_2", now + timedelta(seconds=1))
    state.apply(second.key, second)
    assert state.events_of("int_1") == [second]
    state.apply(first.key, first)  # a sibling added: sorted again, oldest first
    assert state.events_of("int_1") == [first, second]
    moved = _event("evt_1", now + timedelta(seconds=2))  # a replaced record reorders
    state.apply(moved.key, moved)
    assert state.events_of("int_1") == [second, moved]
    state.events_of("int_1").clear()  # a caller's list is its own
    assert state.matching_events("int_1", "PAID") == [second, moved]
    state.apply(second.key, None)
    assert state.events_of("int_1") == [moved]
    # Another kind under the same parent is another list.
    assert state.integrations_of("acc_1") == [state.integration("int_1")]
    assert state.custom_fields_of("acc_1") == []


def test_derived_values_are_built_once_per_record_and_again_when_it_changes() -> None:
    state = _state()
    built: list[str] = []

    def name_of(record: Integration) -> str:
        built.append(record.name)
        return record.name.upper()

    integration = state.integration("int_1")
    assert state.derived(integration, name_of) == state.derived(integration, name_of) == "I"
    assert built == ["i"]
    renamed = integration.model_copy(update={"name": "renamed"})
    assert state.derived(renamed, name_of) == "RENAMED"  # not the record it was built from
    assert built == ["i", "renamed"]
    # Each record the config topic brings for the key builds again, even an equal one.
    for record in (renamed, renamed.model_copy()):
        state.apply(record.key, record)
        assert state.derived(state.integration("int_1"), name_of) == "RENAMED"
    assert built == ["i", "renamed", "renamed", "renamed"]
    # A delete forgets it; each builder keeps its own value.
    state.apply(renamed.key, None)
    assert "integration:int_1" not in state._derived
    assert state.derived(renamed, lambda record: record.id) == "int_1"
