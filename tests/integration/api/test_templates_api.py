"""An integration's template variables (with examples from its latest webhook) and the
template preview, against the real broker and real ClickHouse. Webhooks reach history the
way production writes them (tests/integration/api/test_platforms_api.py ``deliver``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from tests.integration.api.test_api import Api, open_api
from tests.integration.api.test_platforms_api import deliver
from tests.samples import load_samples

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def _hotmart_approved() -> dict:
    (sample,) = [s for s in load_samples() if s.name == "hotmart__PURCHASE_APPROVED.json"]
    return json.loads(sample.raw)


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def test_variables_with_examples_from_the_latest_webhook(
    api: Api, clickhouse: ClickHouse
) -> None:
    _, key = await api.account()
    await api.call("POST", "/api/custom-fields", {"name": "cupom"}, key=key)
    status, integration = await api.call(
        "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}, key=key
    )
    assert status == 201, integration
    path = f"/api/integrations/{integration['id']}/template-variables"

    status, empty = await api.call("GET", path, key=key)
    assert status == 200 and empty["sampled"] is False
    assert [v["name"] for v in empty["variables"]][:6] == [
        "name",
        "first_name",
        "phone",
        "email",
        "event",
        "fields.cupom",
    ]
    assert all(v["example"] is None for v in empty["variables"])
    assert "default" in empty["filters"] and "defined" in empty["tests"]

    body = _hotmart_approved()
    body["hottok"] = "segredo-da-plataforma"
    await deliver(api, HistoryStore(clickhouse), integration, json.dumps(body).encode())
    status, found = await api.call("GET", path, key=key)
    assert status == 200 and found["sampled"] is True
    by_name = {v["name"]: v for v in found["variables"]}
    buyer = body["data"]["buyer"]
    assert by_name["name"]["example"] == buyer["name"]
    assert by_name["first_name"]["example"] == buyer["name"].split()[0]
    assert by_name["email"]["example"] == buyer["email"]
    assert by_name["event"]["example"] == "PURCHASE_APPROVED"
    assert by_name["phone"]["example"].startswith("+55")
    assert by_name["fields.product"]["example"] == body["data"]["product"]["name"]
    assert by_name["fields.product"]["description"] == "mapped from data.product.name"
    assert by_name["fields.cupom"]["example"] is None
    assert "does not read" in by_name["fields.cupom"]["description"]
    assert by_name["payload.data.buyer.name"]["example"] == buyer["name"]
    assert by_name["payload.hottok"]["example"] == "***"  # masked, as history keeps it
    assert by_name["payload.data.product.content.products.0.name"]["example"]


async def test_preview_renders_the_latest_or_a_given_payload(
    api: Api, clickhouse: ClickHouse
) -> None:
    _, key = await api.account()
    status, integration = await api.call(
        "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}, key=key
    )
    path = f"/api/integrations/{integration['id']}/template-preview"
    template = "Olá {{ first_name }}, {{ fields.product }} {{ payload.data.purchase.status }}"

    status, none = await api.call("POST", path, {"template": template}, key=key)
    assert status == 200 and none["payload_from"] == "none" and none["text"] is None
    assert none["missing"] == ["first_name", "fields.product", "payload.data.purchase.status"]

    body = _hotmart_approved()
    await deliver(api, HistoryStore(clickhouse), integration, json.dumps(body).encode())
    status, latest = await api.call("POST", path, {"template": template}, key=key)
    assert status == 200 and latest["payload_from"] == "latest"
    first = body["data"]["buyer"]["name"].split()[0]
    product = body["data"]["product"]["name"]
    status_value = body["data"]["purchase"]["status"]
    assert latest["text"] == f"Olá {first}, {product} {status_value}"
    assert latest["missing"] == [] and latest["problems"] == [] and latest["mapping_errors"] == []

    # A given payload: what is missing is named, and so is what the mapping could not read.
    given = {"event": "PURCHASE_APPROVED", "data": {"buyer": {"name": "Zé"}}}
    status, preview = await api.call(
        "POST", path, {"template": template, "payload": given}, key=key
    )
    assert status == 200 and preview["payload_from"] == "given" and preview["text"] is None
    assert preview["missing"] == ["fields.product", "payload.data.purchase.status"]
    assert preview["mapping_errors"] == ["missing required field: phone"]
    status, preview = await api.call(
        "POST",
        path,
        {"template": "Olá {{ first_name }}{{ fields.product | default('') }}!", "payload": given},
        key=key,
    )
    assert preview["text"] == "Olá Zé!" and preview["missing"] == []

    # What would be refused on save is said too.
    status, preview = await api.call(
        "POST", path, {"template": "{{ nome }} {{ name.upper() }}"}, key=key
    )
    assert status == 200 and preview["problems"] == [
        "calls (use a filter: name | upper) not allowed in templates"
    ]
    status, preview = await api.call("POST", path, {"template": "{{ nome }}"}, key=key)
    assert preview["problems"] == ["unknown variable nome"] and preview["missing"] == ["nome"]

    _, other = await api.account()
    assert (await api.call("POST", path, {"template": "x"}, key=other))[0] == 404
