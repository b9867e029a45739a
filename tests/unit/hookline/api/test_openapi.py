"""The OpenAPI document and the route table it is generated from (no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from hookline.api.app import add_api_routes, respond
from hookline.api.openapi import REF_TEMPLATE, build_document
from hookline.api.routes import ROUTES, Route
from schemas.actions import ACTION_TYPES
from schemas.api import AccountCreate, AccountOut, ActionIn, ErrorOut

DOCUMENT = build_document(ROUTES)


def _operation(route: Route) -> dict[str, Any]:
    return DOCUMENT["paths"][route.path][route.method.lower()]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_document_is_json_and_openapi_3_1() -> None:
    assert json.loads(json.dumps(DOCUMENT)) == DOCUMENT
    assert DOCUMENT["openapi"] == "3.1.0" and DOCUMENT["info"]["title"]
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["apiKey"] == schemes["apiKey"] | {"type": "http", "scheme": "bearer"}
    assert schemes["adminToken"] == schemes["adminToken"] | {"type": "http", "scheme": "bearer"}


def test_every_reference_resolves() -> None:
    components = DOCUMENT["components"]["schemas"]
    refs = _refs(DOCUMENT)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in components
    assert "$defs" not in json.dumps(DOCUMENT)


def test_every_route_is_documented_once_with_a_unique_operation_id() -> None:
    keys = [(route.method, route.path) for route in ROUTES]
    assert len(keys) == len(set(keys))
    documented = [
        (method.upper(), path)
        for path, operations in DOCUMENT["paths"].items()
        for method in operations
    ]
    assert sorted(documented) == sorted(keys)
    operation_ids = [_operation(route)["operationId"] for route in ROUTES]
    assert len(operation_ids) == len(set(operation_ids))


def test_registered_routes_are_the_table() -> None:
    app = web.Application()
    add_api_routes(app)
    registered = sorted(
        (r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None
    )
    assert registered == sorted((route.method, route.path) for route in ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_operation_matches_its_route(route: Route) -> None:
    operation = _operation(route)
    assert operation["summary"] == route.summary
    path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    assert path_params == route.path_params
    expected_security = {"api_key": [{"apiKey": []}], "admin": [{"adminToken": []}], "none": []}
    assert operation["security"] == expected_security[route.auth]
    responses = operation["responses"]
    assert sorted(responses) == sorted(map(str, [route.status, *route.error_statuses]))
    error_ref = {"$ref": REF_TEMPLATE.format(model=ErrorOut.__name__)}
    for code in route.error_statuses:
        assert responses[str(code)]["content"]["application/json"]["schema"] == error_ref
    success = responses[str(route.status)]
    if route.status == 204:
        assert "content" not in success
    elif route.response is not None:
        schema = success["content"]["application/json"]["schema"]
        assert schema == {"$ref": REF_TEMPLATE.format(model=route.response.__name__)}
    if route.body is None:
        assert "requestBody" not in operation
    else:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": REF_TEMPLATE.format(model=route.body.__name__)}
    if route.auth != "none":
        assert {"401", "503"} <= set(responses)


def test_query_parameters_come_from_the_query_model() -> None:
    history = next(r for r in ROUTES if r.path.endswith("/history"))
    (limit,) = [p for p in _operation(history)["parameters"] if p["in"] == "query"]
    assert limit["name"] == "limit" and limit["required"] is False
    assert limit["schema"] | {"minimum": 1, "maximum": 500, "default": 50} == limit["schema"]


def test_components_are_the_models_schemas() -> None:
    components = DOCUMENT["components"]["schemas"]
    own = AccountCreate.model_json_schema(ref_template=REF_TEMPLATE)
    assert components["AccountCreate"] == {k: v for k, v in own.items() if k != "$defs"}
    assert components["Plan"] == own["$defs"]["Plan"]
    assert components["ActionIn"]["discriminator"]["propertyName"] == "type"
    assert set(components["ActionIn"]["discriminator"]["mapping"]) == set(ACTION_TYPES)
    assert set(components["ActionOut"]["discriminator"]["mapping"]) == set(ACTION_TYPES)
    assert ActionIn.__name__ in components
    assert "secret" not in components["IntegrationOut"]["properties"]
    assert "secret" in components["IntegrationPatch"]["properties"]


def test_a_handler_cannot_answer_with_an_undeclared_model() -> None:
    route = next(r for r in ROUTES if r.path == "/api/account")
    with pytest.raises(TypeError, match="not the declared AccountOut"):
        respond(route, ErrorOut(error="x"))
    response = respond(route, AccountOut(id="acc_1", name="A", plan="pro"))
    assert response.status == 200 and json.loads(response.text)["plan"] == "pro"
