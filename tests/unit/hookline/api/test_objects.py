"""Quick replies, chatbot flows and templates in the OpenAPI document (no I/O)."""

from __future__ import annotations

from hookline.api.openapi import build_document
from hookline.api.routes import ROUTES
from hookline.api.templates import describe_source
from schemas.mapping import HeaderSource

DOCUMENT = build_document(ROUTES)


def test_each_object_has_its_crud_routes_and_delete_may_conflict() -> None:
    for base in ("/api/quick-replies", "/api/chatbot-flows"):
        assert set(DOCUMENT["paths"][base]) == {"get", "post"}
        assert set(DOCUMENT["paths"][base + "/{id}"]) == {"get", "patch", "delete"}
        assert "409" in DOCUMENT["paths"][base + "/{id}"]["delete"]["responses"]
    operations = {op["operationId"] for path in DOCUMENT["paths"].values() for op in path.values()}
    assert {"create_quick_reply", "delete_chatbot_flow", "preview_template"} <= operations


def test_send_actions_take_an_id_and_mark_what_the_command_fills_read_only() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    reply = schemas["SendQuickReply"]["properties"]
    assert "readOnly" not in reply["quick_reply_id"]
    assert reply["quick_reply"]["readOnly"] and reply["buttons"]["readOnly"]
    chatbot = schemas["SendChatbot"]["properties"]
    assert chatbot["flow"]["readOnly"] and chatbot["start_params"]["readOnly"]


def test_mapping_sources_read_as_people_write_them() -> None:
    assert describe_source("data.buyer.email") == "data.buyer.email"
    assert describe_source(("a.b", HeaderSource(header="X-Event"))) == "a.b or header X-Event"
