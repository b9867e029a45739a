"""Mappings that fail quietly, against the real broker (config topic) and real ClickHouse:
a call that fails on every webhook is refused on save (422 naming the field); an optional
field's error never blocks the lead and is in the webhook's history; a mapping that finds
a required field on none of the recent webhooks is saved with a warning naming it; a body
declared JSON that does not parse is reported where it breaks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from schemas.config import IntegrationMapping
from schemas.mapping import Mapping
from tests.integration.api.test_api import Api, open_api
from tests.integration.api.test_platforms_api import HOTMART_CANCELED, _sample_body, deliver

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

HOTMART = {
    "event": "event",
    "name": "data.buyer.name",
    "phone": "data.buyer.checkout_phone",
    "fields": {"product": "data.product.name"},
    "default_region": "BR",
}


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def _integration(api: Api) -> tuple[str, dict[str, Any]]:
    """A fresh account's generic integration (no mapping): (api key, integration)."""
    _, key = await api.account()
    status, created = await api.call("POST", "/api/integrations", {"name": "Loja"}, key=key)
    assert status == 201, created
    return key, created


async def _history(api: Api, key: str, integration_id: str) -> list[dict[str, Any]]:
    status, body = await api.call("GET", f"/api/integrations/{integration_id}/history", key=key)
    assert status == 200, body
    return body["items"]


async def test_a_call_that_fails_on_every_webhook_is_refused_on_save(api: Api) -> None:
    key, created = await _integration(api)
    path = f"/api/integrations/{created['id']}/mapping"

    status, body = await api.call("PUT", path, HOTMART | {"event": "foo(event)"}, key=key)
    assert status == 422
    problem = "'foo(event)': unknown function foo() (did you mean floor()?)"
    assert body["details"] == [{"loc": "event", "message": problem}]
    assert body["error"] == f"invalid request body: event: {problem}"

    # Every source is checked, a fallback chain's members too; each one named.
    wrong = HOTMART | {
        "name": ["data.buyer.name", "lenght(data.user.name)"],
        "fields": {"product": "data.product.name", "total": "join(data.items)"},
    }
    status, body = await api.call("PUT", path, wrong, key=key)
    assert status == 422
    assert body["details"] == [
        {
            "loc": "name",
            "message": "'lenght(data.user.name)': unknown function lenght() (did you mean"
            " length()?)",
        },
        {"loc": "fields.total", "message": "'join(data.items)': join() takes 2 arguments, got 1"},
    ]
    status, body = await api.call("GET", path, key=key)
    assert status == 404, "nothing was saved"

    # A valid one is saved; no webhook yet, so nothing to warn of.
    status, body = await api.call("PUT", path, HOTMART, key=key)
    assert status == 200 and body == HOTMART | {"warnings": []}
    status, body = await api.call("PUT", path, HOTMART | {"phone": "merge()"}, key=key)
    assert status == 422 and body["details"][0]["loc"] == "phone"
    assert await api.call("GET", path, key=key) == (200, HOTMART)


async def test_an_optional_fields_error_never_blocks_the_lead(
    api: Api, clickhouse: ClickHouse
) -> None:
    key, created = await _integration(api)
    # A mapping saved before calls were checked: configs already written still load.
    old = Mapping.model_validate(
        HOTMART | {"fields": {"product": "data.product.name", "email": "foo(data.buyer.email)"}}
    )
    state = api.runtime.view.state
    record = IntegrationMapping(
        id=created["id"], account_id=state.integration(created["id"]).account_id, mapping=old
    )
    await api.runtime.writer.put(record)
    assert api.runtime.view.state.mapping(created["id"]) == old
    event = await api.event(key, created["id"], "PURCHASE_CANCELED")
    status, _ = await api.action(key, created["id"], event, {"type": "add_tag", "tag": "x"})
    assert status == 201

    store = HistoryStore(clickhouse)
    outcome = await deliver(api, store, created, _sample_body(HOTMART_CANCELED))
    assert outcome.failure is None and [c.type for c in outcome.commands] == ["add_tag"]
    (item,) = await _history(api, key, created["id"])
    assert item["status"] == "matched" and item["phone"] == "+5599999999900"
    assert item["fields"] == {"product": "Produto test postback2", "email": None}
    assert item["errors"] == ["expression error in fields.email: Unknown function: foo()"]


async def test_a_body_declared_json_that_does_not_parse_says_where_it_breaks(
    api: Api, clickhouse: ClickHouse
) -> None:
    key, created = await _integration(api)
    path = f"/api/integrations/{created['id']}/mapping"
    assert (await api.call("PUT", path, HOTMART, key=key))[0] == 200
    broken = b'{"event": "PURCHASE_CANCELED", "data": {"buyer": {"name": "Ana" "x": 1}}}'
    outcome = await deliver(api, HistoryStore(clickhouse), created, broken)
    expected = "invalid JSON at byte 64 (line 1, column 65): Expecting ',' delimiter"
    assert broken[64:].startswith(b'"x"')
    assert outcome.failure == expected  # the dead letter's reason
    (item,) = await _history(api, key, created["id"])
    assert (item["status"], item["errors"]) == ("error", [expected])

    # Such a body gives the saved mapping nothing to be tried on: no warning.
    status, body = await api.call("PUT", path, HOTMART | {"name": "nobody.name"}, key=key)
    assert status == 200 and body["warnings"] == []


async def test_saving_warns_of_required_fields_found_on_no_recent_webhook(
    api: Api, clickhouse: ClickHouse
) -> None:
    key, created = await _integration(api)
    path = f"/api/integrations/{created['id']}/mapping"
    store = HistoryStore(clickhouse)
    for at in range(2):  # no mapping yet: both dead letters, both in history
        outcome = await deliver(api, store, created, _sample_body(HOTMART_CANCELED), at=at)
        assert outcome.failure == "integration has no mapping yet"

    wrong = HOTMART | {"name": "buyer.name", "phone": ["buyer.phone", "data.buyer.phone"]}
    status, body = await api.call("PUT", path, wrong, key=key)
    assert status == 200
    assert body["warnings"] == [
        "not found on any of the 2 latest webhooks: name, phone (missing required field: name;"
        " missing required field: phone); webhooks like them would fail"
    ]
    saved = {k: v for k, v in body.items() if k != "warnings"}
    assert await api.call("GET", path, key=key) == (200, saved), "saved all the same"

    # Found on the recent webhooks: no warning.
    status, body = await api.call("PUT", path, HOTMART, key=key)
    assert status == 200 and body["warnings"] == []
    # A phone found but never a valid one counts as not found.
    status, body = await api.call("PUT", path, HOTMART | {"phone": "data.product.id"}, key=key)
    assert status == 200 and body["warnings"][0].startswith(
        "not found on any of the 2 latest webhooks: phone (invalid phone "
    )


async def test_saving_a_mapping_needs_no_history(bootstrap: str) -> None:
    async with open_api(bootstrap, None) as api:
        key, created = await _integration(api)
        path = f"/api/integrations/{created['id']}/mapping"
        assert await api.call("PUT", path, HOTMART, key=key) == (200, HOTMART | {"warnings": []})
        status, body = await api.call("PUT", path, HOTMART | {"event": "foo(x)"}, key=key)
        assert status == 422 and body["details"][0]["loc"] == "event"
