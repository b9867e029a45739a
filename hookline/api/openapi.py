"""The OpenAPI 3.1 document, generated from the route table (never written by hand).

Component schemas come from the same pydantic models the app validates requests
with and serialises answers from; OpenAPI 3.1 schemas are JSON Schema 2020-12,
which is what pydantic emits."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hookline import __version__
from hookline.api.call import Call
from schemas.api import ErrorOut

if TYPE_CHECKING:
    from hookline.api.routes import Route

REF_TEMPLATE = "#/components/schemas/{model}"
#: Set by :func:`hookline.api.app.add_api_routes`: the routes this app serves.
ROUTE_TABLE = web.AppKey("api_route_table", tuple)

SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The account's API key (hk_...), shown once at account creation.",
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator's token (HOOKLINE_ADMIN_TOKEN).",
    },
}
SECURITY = {"api_key": [{"apiKey": []}], "admin": [{"adminToken": []}], "none": []}
ERRORS = {
    400: "The body is not valid JSON",
    401: "Missing or invalid credentials",
    403: "The account's plan does not allow this",
    404: "Unknown id (ids of other accounts are unknown too)",
    409: "Conflicts with existing configuration",
    413: "The body is larger than the server accepts",
    422: "Invalid input; `details` lists each problem",
    503: "Not available yet or in this process (starting up, admin token unset, no history)",
}


def _schemas(routes: tuple[Route, ...]) -> tuple[dict[Any, Any], dict[str, Any]]:
    def by_name(models: set[type[BaseModel]]) -> list[type[BaseModel]]:
        return sorted(models, key=lambda model: model.__name__)

    inputs = by_name({r.body for r in routes if r.body is not None})
    outputs = by_name({r.response for r in routes if r.response is not None} | {ErrorOut})
    key_map, document = models_json_schema(
        [(model, "validation") for model in inputs]
        + [(model, "serialization") for model in outputs],
        ref_template=REF_TEMPLATE,
    )
    return key_map, document.get("$defs", {})


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path_params
    ]
    if route.query is not None:
        properties = route.query.model_json_schema()["properties"]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "schema": properties[name],
            }
            for name, field in route.query.model_fields.items()
        ]
    if route.status == 204:
        success: dict[str, Any] = {"description": "Done; no content"}
    else:
        schema = refs[(route.response, "serialization")] if route.response else {"type": "object"}
        success = {"description": route.summary, "content": _json(schema)}
    error = _json(refs[(ErrorOut, "serialization")])
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [route.handler.__module__.rsplit(".", 1)[-1]],
        "security": SECURITY[route.auth],
        "responses": {str(route.status): success}
        | {
            str(code): {"description": ERRORS[code], "content": error}
            for code in route.error_statuses
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        required = any(f.is_required() for f in route.body.model_fields.values())
        operation["requestBody"] = {
            "required": required,
            "content": _json(refs[(route.body, "validation")]),
        }
    return operation


@lru_cache(maxsize=4)
def build_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    refs, components = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hookline management API",
            "version": __version__,
            "description": "Accounts, integrations, mappings, custom fields, conversion"
            " events and actions; leads and webhook history.",
        },
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }


async def openapi_json(call: Call) -> web.Response:
    return web.json_response(build_document(call.request.app[ROUTE_TABLE]))
