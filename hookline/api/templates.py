"""Templates in the API: checked when an action or an object holding them is saved (422
listing the valid variables), the variables an integration's templates may use with
examples from its latest webhook, and a preview. The engine and its rules are
``streams/templates.py``; the pipeline renders with the same functions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from core.redact import mask_data
from hookline.api.call import ApiError, Call
from hookline.api.discovery import payloads
from schemas.api import (
    ErrorDetail,
    TemplatePreviewIn,
    TemplatePreviewOut,
    TemplateVariableOut,
    TemplateVariablesOut,
)
from schemas.config import Integration
from schemas.mapping import HeaderSource, QuerySource, Source, chain_of
from streams.mapping import MappedLead, apply_mapping
from streams.templates import (
    FILTERS,
    TESTS,
    VARIABLES,
    MissingValues,
    TemplateProblem,
    Variables,
    check,
    context_for,
    payload_variables,
    render,
    variable_path,
    variables_for,
)


def template_sources(where: str, value: Any) -> dict[str, str]:
    """Every template in a parameter's value, by where it is: ``text``, or inside a
    nested one, ``fallback_template.body_params.0``."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        return {where: value}
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return {}
    return {
        loc: src
        for key, item in items
        for loc, src in template_sources(f"{where}.{key}", item).items()
    }


def check_templates(templates: dict[str, str], variables: Variables, where: str = "") -> None:
    """422 unless every template (by where it is: ``text``, ``start_params.nome``) may be
    saved; the answer lists the variables that may be used."""
    details = [
        ErrorDetail(loc=loc, message=problem)
        for loc, source in templates.items()
        for problem in check(source, variables)
    ]
    if details:
        found = "; ".join(f"{d.loc}: {d.message}" for d in details)
        valid = ", ".join(variables.names())
        raise ApiError(
            422,
            f"invalid template{where} ({found}); variables: {valid}; filters: {', '.join(FILTERS)}",
            details,
        )


def _lead(call: Call, integration: Integration, data: Any, headers: dict[str, str]) -> MappedLead:
    mapping = call.state.mapping(integration.id)
    if mapping is None:
        return MappedLead(errors=["integration has no mapping yet"])
    return apply_mapping(mapping, data, headers)


async def _latest(call: Call, integration: Integration) -> tuple[Any, dict[str, str]] | None:
    """The parsed body and headers of the integration's latest webhook (pings aside), as
    history keeps them (credentials masked); None before the first one."""
    rows = await call.history.recent_bodies(call.account.id, integration.id, 1)
    sample, _ = payloads(rows)
    return sample[0] if sample else None


def describe_source(source: Source) -> str:
    """A mapping source as people read it: ``data.buyer.email``, ``header X-Event``, ``a or b``."""
    return " or ".join(
        f"header {one.header}"
        if isinstance(one, HeaderSource)
        else f"query parameter {one.query}"
        if isinstance(one, QuerySource)
        else one
        for one in chain_of(source)
    )


async def template_variables(call: Call) -> TemplateVariablesOut:
    integration = call.owned(Integration, call.path("id"))
    latest = await _latest(call, integration)
    data, headers = latest or (None, {})
    lead = _lead(call, integration, data, headers)
    context = context_for(lead, data)
    mapping = call.state.mapping(integration.id)
    mapped = mapping.fields if mapping is not None else {}
    variables = [
        TemplateVariableOut(name=name, description=description, example=context[name] or None)
        for name, description in VARIABLES.items()
    ]
    for name in variables_for(call.state, call.account.id, integration.id).fields:
        description = (
            f"mapped from {describe_source(mapped[name])}"
            if name in mapped
            else "a custom field of the account that this integration's mapping does not"
            " read: it has no value until the mapping reads it"
        )
        variables.append(
            TemplateVariableOut(
                name=variable_path("fields", [name]),
                description=description,
                example=lead.fields.get(name),
            )
        )
    variables += [
        TemplateVariableOut(name=path, description="a value of the webhook's body", example=value)
        for path, value in payload_variables(data)
    ]
    return TemplateVariablesOut(
        sampled=latest is not None, variables=variables, filters=list(FILTERS), tests=list(TESTS)
    )


async def preview_template(call: Call) -> TemplatePreviewOut:
    body: TemplatePreviewIn = call.body
    integration = call.owned(Integration, call.path("id"))
    source: Literal["given", "latest", "none"] = "given"
    if body.payload is not None:
        data, headers = mask_data(body.payload), body.headers
    elif call.runtime.clickhouse is None:
        raise ApiError(503, "history is not available in this process; give a payload")
    elif (latest := await _latest(call, integration)) is not None:
        (data, headers), source = latest, "latest"
    else:
        data, headers, source = None, {}, "none"
    lead = _lead(call, integration, data, headers)
    problems = check(body.template, variables_for(call.state, call.account.id, integration.id))
    text, missing = None, []
    try:
        text = render(body.template, context_for(lead, data))
    except MissingValues as exc:
        missing = list(exc.names)
    except TemplateProblem as exc:
        problems += [str(exc)] if str(exc) not in problems else []
    return TemplatePreviewOut(
        text=text,
        missing=missing,
        problems=problems,
        mapping_errors=lead.errors,
        payload_from=source,
    )
