"""The console's pages. Every read and write goes through an API route
(:func:`hookline.console.invoke.invoke`); what is left here is presentation: which
route a form calls, how its fields become the route's body, and what is shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hookline.api.call import ApiError
from hookline.console.guide import platform_guide
from hookline.console.http import (
    LANG_COOKIE,
    LANGS,
    SESSION_COOKIE,
    check_csrf,
    console_of,
    redirect,
    render,
    runtime_of,
    set_cookie,
    sign_in,
    signed_in,
    subject_for,
    visitor,
)
from hookline.console.invoke import has_route, invoke
from schemas.actions import action_types
from schemas.config import Account, Integration
from schemas.mapping import Mapping
from streams.mapping import apply_mapping

I = "/api/integrations/{id}"  # noqa: E741 - the path prefix most routes share
HISTORY_PAGE = 20
OTHER = "__other__"


def account_of(request: web.Request) -> Account:
    account = visitor(request).account
    assert account is not None  # signed_in() let only accounts through
    return account


async def call(request: web.Request, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    return await invoke(request, visitor(request).account, method, path, body, **kw)


async def maybe(request: web.Request, method: str, path: str, **kw: Any) -> Any:
    """A read that may be unavailable (no history yet, ClickHouse down): None then."""
    try:
        return await call(request, method, path, **kw)
    except ApiError:
        return None


def source_text(source: Any) -> str:
    """A mapping source as typed in the form: a jmespath string as is, anything else
    (header, query, fallback chain) as JSON."""
    if source is None:
        return ""
    if isinstance(source, str):
        return source
    if hasattr(source, "model_dump"):
        return json.dumps(source.model_dump(), ensure_ascii=False)
    return json.dumps(
        [s if isinstance(s, str) else s.model_dump() for s in source], ensure_ascii=False
    )


def source_value(text: str) -> Any:
    text = text.strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%d/%m/%Y %H:%M") if value else "—"


# -- sign-in --------------------------------------------------------------------------
async def home(request: web.Request) -> web.StreamResponse:
    who = visitor(request)
    if who.session is None:
        raise redirect("/login")
    raise redirect("/admin" if who.is_admin else "/integrations")


async def login_page(request: web.Request) -> web.StreamResponse:
    if visitor(request).session is not None:
        return await home(request)
    return render(request, "login.html")


async def login(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    runtime = runtime_of(request)
    if not runtime.ready:
        return render(request, "login.html", status=503, error="starting up, retry shortly")
    found = subject_for(runtime, str(form.get("key", "")).strip())
    if found is None:
        return render(request, "login.html", status=401, failed=True)
    session = console_of(request).signer.issue(*found)
    response = redirect("/admin" if session.is_admin else "/integrations")
    sign_in(request, response, session)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def set_lang(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    lang = form.get("lang")
    back = str(form.get("back") or "/")
    response = redirect(back if back.startswith("/") and not back.startswith("//") else "/")
    if lang in LANGS:
        set_cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    raise response


# -- integrations ---------------------------------------------------------------------
async def platforms(request: web.Request) -> list[Any]:
    return (await call(request, "GET", "/api/platforms")).items


@signed_in()
async def integrations(request: web.Request) -> web.StreamResponse:
    listed = (await call(request, "GET", "/api/integrations")).items
    names = {p.id: p.display_name for p in await platforms(request)}
    rows = []
    for item in sorted(listed, key=lambda i: i.created_at, reverse=True):
        last = await maybe(request, "GET", f"{I}/history", query={"limit": 1}, id=item.id)
        latest = last.items[0] if last and last.items else None
        rows.append(
            {"item": item, "platform": names.get(item.platform, item.platform), "last": latest}
        )
    return render(request, "integrations.html", rows=rows, when=when)


@signed_in()
async def new_integration(request: web.Request, error: str | None = None) -> web.StreamResponse:
    return render(
        request,
        "integration_new.html",
        status=422 if error else 200,
        platforms=[p for p in await platforms(request) if p.id != "generic"],
        error=error,
        allowed=account_of(request).plan.allows_webhooks,
    )


@signed_in()
async def create_integration(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    platform = form.get("platform") or "generic"
    try:
        created = await call(
            request,
            "POST",
            "/api/integrations",
            {"name": form.get("name", ""), "platform": platform},
        )
    except ApiError as exc:
        return await new_integration(request, exc.message)
    raise redirect(f"/integrations/{created.id}/url?new=1")


async def integration(request: web.Request) -> Any:
    return await call(request, "GET", I, id=request.match_info["id"])


@signed_in()
async def integration_url(request: web.Request) -> web.StreamResponse:
    item = await integration(request)
    try:
        shown = await call(request, "GET", f"{I}/url", id=item.id)
        url, error = shown.url, None
    except ApiError as exc:
        url, error = None, exc.message
    guide = platform_guide(item.platform)
    return render(
        request,
        "integration_url.html",
        item=item,
        url=url,
        error=error,
        guide=guide,
        new=request.query.get("new") == "1",
    )


@signed_in()
async def rotate(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    iid = request.match_info["id"]
    await call(request, "POST", f"{I}/rotate-token", {}, id=iid)
    raise redirect(f"/integrations/{iid}/url")


@signed_in()
async def edit_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    return render(
        request,
        "integration_edit.html",
        item=await integration(request),
        platforms=await platforms(request),
        error=error,
        status=422 if error else 200,
    )


@signed_in()
async def edit(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    iid = request.match_info["id"]
    body = {
        "name": form.get("name", ""),
        "platform": form.get("platform") or "generic",
        "enabled": form.get("enabled") == "on",
    }
    try:
        await call(request, "PATCH", I, body, id=iid)
    except ApiError as exc:
        return await edit_page(request, exc.message)
    raise redirect("/integrations?saved=1")


@signed_in()
async def delete_page(request: web.Request) -> web.StreamResponse:
    item = await integration(request)
    events = (await call(request, "GET", f"{I}/events", id=item.id)).items
    return render(
        request,
        "integration_delete.html",
        item=item,
        events=events,
        actions=sum(len(e.actions) for e in events),
    )


@signed_in()
async def delete(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    await call(request, "DELETE", I, id=request.match_info["id"])
    raise redirect("/integrations?deleted=1")


# -- mapping --------------------------------------------------------------------------
def tree(structure: Any) -> list[dict[str, Any]]:
    """The structure's flat path list as nested nodes (document order kept)."""
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for path in structure.paths if structure else []:
        node = {
            "path": path.path,
            "name": path.path.removeprefix(path.parent).lstrip("."),
            "types": path.types,
            "example": path.example,
            "frequency": path.frequency,
            "children": [],
        }
        nodes[path.path] = node
        parent = nodes.get(path.parent)
        (parent["children"] if parent else roots).append(node)
    return roots


async def latest_payload(request: web.Request, item: Any) -> tuple[Any, dict[str, str]] | None:
    """The latest webhook's parsed body and headers, or None when none arrived yet."""
    store = runtime_of(request).clickhouse
    if store is None:
        return None
    from hookline.history.store import HistoryStore

    rows = await HistoryStore(store).recent_bodies(account_of(request).id, item.id, 1)
    for row in rows:
        try:
            return json.loads(row["parsed_json"] or "null"), json.loads(row["headers_json"])
        except ValueError:
            return None
    return None


def mapped(mapping: Mapping, payload: tuple[Any, dict[str, str]] | None) -> dict[str, Any]:
    """The lead the workers would map from the payload (their own function)."""
    if payload is None:
        return {}
    lead = apply_mapping(mapping, payload[0], payload[1])
    return {
        "event": lead.event,
        "name": lead.name,
        "phone": lead.phone,
        "fields": lead.fields,
        "errors": lead.problems,  # optional fields' errors too: they never block the lead
    }


def mapping_form(form: dict[str, Any]) -> dict[str, Any]:
    """The mapping body from the form: three sources, extra field rows, region."""
    names = form.get("field_name", [])
    sources = form.get("field_source", [])
    names = [names] if isinstance(names, str) else names
    sources = [sources] if isinstance(sources, str) else sources
    fields = {
        n.strip(): source_value(s)
        for n, s in zip(names, sources, strict=False)
        if n.strip() and s.strip()
    }
    body = {k: source_value(str(form.get(k, ""))) for k in ("event", "name", "phone")}
    return {**body, "fields": fields, "default_region": form.get("default_region") or "BR"}


@signed_in()
async def mapping_page(request: web.Request) -> web.StreamResponse:
    item = await integration(request)
    current = await maybe(request, "GET", f"{I}/mapping", id=item.id)
    return render(
        request,
        "mapping.html",
        item=item,
        mapping=current,
        source_text=source_text,
        saved=request.query.get("saved") == "1",
    )


@signed_in()
async def mapping_edit(
    request: web.Request, error: str | None = None, values: dict[str, Any] | None = None
) -> web.StreamResponse:
    item = await integration(request)
    current = await maybe(request, "GET", f"{I}/mapping", id=item.id)
    structure = await maybe(request, "GET", f"{I}/structure", id=item.id)
    suggestion = await maybe(request, "GET", f"{I}/suggested-mapping", id=item.id)
    proposed = current or (suggestion.mapping if suggestion else None)
    fields = (await call(request, "GET", "/api/custom-fields")).items
    payload = await latest_payload(request, item)
    if values is None:
        values = {
            "event": source_text(proposed.event) if proposed else "",
            "name": source_text(proposed.name) if proposed else "",
            "phone": source_text(proposed.phone) if proposed else "",
            "default_region": proposed.default_region if proposed else "BR",
            "fields": {k: source_text(v) for k, v in proposed.fields.items()} if proposed else {},
        }
    preview = {}
    if payload is not None and error is None:
        try:
            preview = mapped(Mapping.model_validate(mapping_form_values(values)), payload)
        except ValueError:
            preview = {}
    return render(
        request,
        "mapping_edit.html",
        status=422 if error else 200,
        item=item,
        values=values,
        tree=tree(structure),
        headers=structure.headers if structure else [],
        sampled=structure.sampled if structure else 0,
        custom_fields=fields,
        preview=preview,
        error=error,
        guide=platform_guide(item.platform),
        from_suggestion=current is None and suggestion is not None and suggestion.mapping,
        new=request.query.get("new") == "1",
        can_test=has_route("POST", f"{I}/test"),
        tested=request.query.get("tested"),
    )


def mapping_form_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": source_value(values["event"]),
        "name": source_value(values["name"]),
        "phone": source_value(values["phone"]),
        "default_region": values["default_region"],
        "fields": {k: source_value(v) for k, v in values["fields"].items()},
    }


@signed_in()
async def save_mapping(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    iid = request.match_info["id"]
    body = mapping_form(form)
    try:
        await call(request, "PUT", f"{I}/mapping", body, id=iid)
    except ApiError as exc:
        values = {
            **{k: source_text(body[k]) for k in ("event", "name", "phone")},
            "default_region": body["default_region"],
            "fields": {k: source_text(v) for k, v in body["fields"].items()},
        }
        return await mapping_edit(request, exc.message, values)
    raise redirect(f"/integrations/{iid}/mapping?saved=1")


@signed_in()
async def mapping_preview(request: web.Request) -> web.StreamResponse:
    """The live preview: the form's mapping on the latest payload, as JSON."""
    form = await check_csrf(request)
    item = await integration(request)
    payload = await latest_payload(request, item)
    if payload is None:
        return web.json_response({"ok": False, "error": "no webhook yet"})
    try:
        mapping = Mapping.model_validate(mapping_form(form))
    except ValueError as exc:
        return web.json_response({"ok": False, "error": str(exc).splitlines()[-1]})
    return web.json_response({"ok": True, "lead": mapped(mapping, payload)})


@signed_in()
async def send_test(request: web.Request) -> web.StreamResponse:
    """The platform's test webhook: its public sample sent through the integration's URL
    (the API's test delivery), then back to the mapping with what arrived."""
    await check_csrf(request)
    iid = request.match_info["id"]
    try:
        url = (await call(request, "GET", f"{I}/url", id=iid)).url
        sent = await call(request, "POST", f"{I}/test", {"url": url}, id=iid)
    except ApiError as exc:
        return await mapping_edit(request, exc.message)
    raise redirect(f"/integrations/{iid}/mapping/edit?tested={sent.status}")


# -- custom fields --------------------------------------------------------------------
@signed_in()
async def fields_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    items = (await call(request, "GET", "/api/custom-fields")).items
    return render(
        request, "fields.html", items=items, error=error, when=when, status=409 if error else 200
    )


@signed_in()
async def create_field(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    body = {"name": form.get("name", ""), "description": form.get("description", "")}
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        created = await call(request, "POST", "/api/custom-fields", body)
    except ApiError as exc:
        if wants_json:
            return web.json_response({"ok": False, "error": exc.message}, status=exc.status)
        return await fields_page(request, exc.message)
    if wants_json:
        return web.json_response({"ok": True, "name": created.name})
    raise redirect("/fields")


@signed_in()
async def delete_field(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    try:
        await call(request, "DELETE", "/api/custom-fields/{id}", id=request.match_info["id"])
    except ApiError as exc:
        return await fields_page(request, exc.message)
    raise redirect("/fields")


# -- Visualizar: structure, history, dead letters, rejected ----------------------------
def history_filters(query: Any) -> dict[str, str]:
    return {k: query.get(k, "").strip() for k in ("status", "event", "phone", "since", "until")}


def keep(row: Any, filters: dict[str, str]) -> bool:
    day = row.received_at.astimezone(UTC).date().isoformat()
    return (
        (not filters["status"] or row.status == filters["status"])
        and (not filters["event"] or filters["event"].lower() in (row.event or "").lower())
        and (not filters["phone"] or filters["phone"].lstrip("+") in (row.phone or ""))
        and (not filters["since"] or day >= filters["since"])
        and (not filters["until"] or day <= filters["until"])
    )


@signed_in()
async def view(request: web.Request) -> web.StreamResponse:
    item = await integration(request)
    filters = history_filters(request.query)
    number = request.query.get("page", "1")
    page = max(1, int(number)) if number.isdigit() else 1
    history = await maybe(request, "GET", f"{I}/history", query={"limit": 500}, id=item.id)
    rows = [r for r in (history.items if history else []) if keep(r, filters)]
    shown = rows[(page - 1) * HISTORY_PAGE : page * HISTORY_PAGE]
    structure = await maybe(request, "GET", f"{I}/structure", id=item.id)
    dead = await maybe(request, "GET", f"{I}/deadletters", id=item.id)
    rejected = await maybe(request, "GET", f"{I}/rejected", query={"limit": 20}, id=item.id)
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(
        request,
        "view.html",
        item=item,
        rows=shown,
        total=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // HISTORY_PAGE)),
        filters=filters,
        query=query,
        tree=tree(structure),
        sampled=structure.sampled if structure else 0,
        dead=dead.items if dead else [],
        rejected=rejected.items if rejected else [],
        when=when,
        replayed=request.query.get("replayed"),
        statuses=("matched", "unmatched", "duplicate", "error", "ping"),
        labels={name: cls.label for name, cls in action_types().items()},
    )


@signed_in()
async def history_row(request: web.Request) -> web.StreamResponse:
    """One webhook: its raw payload, headers (credentials masked), mapped lead, actions."""
    item = await integration(request)
    request_id = request.match_info["request_id"]
    history = await call(request, "GET", f"{I}/history", query={"limit": 500}, id=item.id)
    row = next((r for r in history.items if r.request_id == request_id), None)
    if row is None:
        raise web.HTTPNotFound(text="webhook not found")
    raw = await raw_row(request, item, request_id)
    events = {e.id: e for e in (await call(request, "GET", f"{I}/events", id=item.id)).items}
    return render(
        request,
        "history_row.html",
        item=item,
        row=row,
        raw=raw,
        when=when,
        events=[events[e] for e in row.matched_event_ids if e in events],
        labels={name: cls.label for name, cls in action_types().items()},
    )


async def raw_row(request: web.Request, item: Integration | Any, request_id: str) -> dict[str, Any]:
    """The stored body and headers of one history row (the API lists rows without them)."""
    from hookline.history.store import HistoryStore

    store = runtime_of(request).clickhouse
    if store is None:
        return {}
    for row in await HistoryStore(store).webhooks(account_of(request).id, item.id, 500):
        if row["request_id"] == request_id:
            body = row.get("body_text") or ""
            try:
                body = json.dumps(
                    json.loads(row.get("parsed_json") or ""), indent=2, ensure_ascii=False
                )
            except ValueError:
                pass
            return {
                "body": body,
                "headers": row.get("headers", {}),
                "content_type": row.get("content_type", ""),
            }
    return {}


@signed_in()
async def replay(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    iid = request.match_info["id"]
    ids = form.get("request_id")
    body = {"request_ids": [ids] if isinstance(ids, str) else ids} if ids else {}
    result = await call(request, "POST", f"{I}/deadletters/replay", body, id=iid)
    raise redirect(f"/integrations/{iid}?replayed={result.replayed}#dead")


# -- Notificações de conversão: events and actions -------------------------------------
async def catalogue(request: web.Request, platform: str) -> list[Any]:
    found = await maybe(request, "GET", "/api/platforms/{id}", id=platform)
    return found.events if found else []


@signed_in()
async def events_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    item = await integration(request)
    events = (await call(request, "GET", f"{I}/events", id=item.id)).items
    labels = {a: c.label for a, c in action_types().items()}
    return render(
        request,
        "events.html",
        item=item,
        events=events,
        error=error,
        catalogue=await catalogue(request, item.platform),
        labels=labels,
        status=422 if error else 200,
    )


@signed_in()
async def create_event(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    iid = request.match_info["id"]
    item = await integration(request)
    identification = str(form.get("identification") or "")
    if identification in ("", OTHER):
        identification = str(form.get("identification_other", ""))
    name = str(form.get("name", "")).strip()
    if not name:
        labels = {e.identification: e.label for e in await catalogue(request, item.platform)}
        name = labels.get(identification, identification)
    try:
        created = await call(
            request, "POST", f"{I}/events", {"name": name, "identification": identification}, id=iid
        )
    except ApiError as exc:
        return await events_page(request, exc.message)
    raise redirect(f"/integrations/{iid}/events/{created.id}")


@signed_in()
async def delete_event(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    iid, eid = request.match_info["id"], request.match_info["event_id"]
    await call(request, "DELETE", f"{I}/events/{{event_id}}", id=iid, event_id=eid)
    raise redirect(f"/integrations/{iid}/events")


def details(action: Any) -> dict[str, Any]:
    """An action's parameters as shown in its list (ids and empty values left out)."""
    shown = action.model_dump(exclude={"id", "type", "created_at", "event_id"})
    return {k: v for k, v in shown.items() if v not in (None, "", [], {}, ())}


#: Send parameters naming an account object: the API that lists them, and the free-text
#: parameters the object replaces (older actions may still carry them; new ones name ids).
OBJECT_PARAMS = {
    "quick_reply_id": ("/api/quick-replies", ("quick_reply", "buttons")),
    "chatbot_id": ("/api/chatbot-flows", ("flow", "start_params")),
}


def action_kinds() -> list[dict[str, Any]]:
    """Every registered action type with its form fields (from its model)."""
    kinds = []
    for name, cls in action_types().items():
        replaced = {p for f, (_, ps) in OBJECT_PARAMS.items() if f in cls.model_fields for p in ps}
        params = [
            {
                "name": f,
                "required": info.is_required(),
                "templated": f in cls.templated,
                "field": f == cls.custom_field_param,
                "long": f in cls.templated,
                "json": "str" not in str(info.annotation),
                "object": f if f in OBJECT_PARAMS else None,
            }
            for f, info in cls.model_fields.items()
            if f != "type" and f not in replaced
        ]
        kinds.append({"type": name, "label": cls.label, "send": cls.is_send(), "params": params})
    return kinds


async def template_variables(request: web.Request, item: Any) -> list[Any]:
    """What a templated parameter can name, with its value in the latest webhook (the
    API's list; the payload's own paths are left to typing)."""
    found = await maybe(request, "GET", f"{I}/template-variables", id=item.id)
    return [v for v in (found.variables if found else []) if not v.name.startswith("payload")]


@signed_in()
async def event_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    item = await integration(request)
    eid = request.match_info["event_id"]
    events = (await call(request, "GET", f"{I}/events", id=item.id)).items
    event = next((e for e in events if e.id == eid), None)
    if event is None:
        raise web.HTTPNotFound(text="event not found")
    kinds = action_kinds()
    actions = [getattr(a, "root", a) for a in event.actions]
    sends = [a for a in actions if action_types()[a.type].is_send()]
    fields = (await call(request, "GET", "/api/custom-fields")).items
    objects = {}
    for param, (path, _) in OBJECT_PARAMS.items():
        found = await maybe(request, "GET", path) if has_route("GET", path) else None
        objects[param] = found.items if found else []
    return render(
        request,
        "event.html",
        objects=objects,
        item=item,
        event=event,
        kinds=kinds,
        send=sends[0] if sends else None,
        custom_fields=fields,
        error=error,
        labels={k["type"]: k["label"] for k in kinds},
        details=details,
        variables=await template_variables(request, item),
        status=422 if error else 200,
    )


@signed_in()
async def create_action(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    iid, eid = request.match_info["id"], request.match_info["event_id"]
    kind = str(form.get("type", ""))
    prefix = f"{kind}."
    body = {"type": kind} | {
        k.removeprefix(prefix): source_value(v)
        for k, v in form.items()
        if k.startswith(prefix) and v.strip() != ""
    }
    try:
        await call(request, "POST", f"{I}/events/{{event_id}}/actions", body, id=iid, event_id=eid)
    except ApiError as exc:
        return await event_page(request, exc.message)
    raise redirect(f"/integrations/{iid}/events/{eid}?saved=1")


@signed_in()
async def delete_action(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    m = request.match_info
    await call(
        request,
        "DELETE",
        f"{I}/events/{{event_id}}/actions/{{action_id}}",
        id=m["id"],
        event_id=m["event_id"],
        action_id=m["action_id"],
    )
    raise redirect(f"/integrations/{m['id']}/events/{m['event_id']}")


@signed_in()
async def template_preview(request: web.Request) -> web.StreamResponse:
    """A templated parameter rendered on the latest webhook (the API's preview)."""
    form = await check_csrf(request)
    iid = request.match_info["id"]
    try:
        shown = await call(
            request, "POST", f"{I}/template-preview", {"template": form.get("text", "")}, id=iid
        )
    except ApiError as exc:
        return web.json_response({"ok": False, "error": exc.message})
    if shown.text is not None:
        return web.json_response({"ok": True, "text": shown.text})
    why = shown.problems or shown.mapping_errors or [f"sem valor: {', '.join(shown.missing)}"]
    if shown.payload_from == "none":
        why = ["nenhum webhook ainda"]
    return web.json_response({"ok": False, "error": "; ".join(why)})


# -- quick replies and chatbot flows (account objects the send actions name) ----------
KINDS = {
    "quick-replies": ("/api/quick-replies", "Respostas rápidas"),
    "chatbot-flows": ("/api/chatbot-flows", "Fluxos de chatbot"),
}


def object_body(kind: str, form: dict[str, Any]) -> dict[str, Any]:
    """The create body from the form: buttons one per field, start parameters one
    ``name=value`` per line."""
    if kind == "quick-replies":
        buttons = form.get("buttons", [])
        buttons = [buttons] if isinstance(buttons, str) else buttons
        return {
            "name": form.get("name", ""),
            "text": form.get("text", ""),
            "buttons": [b.strip() for b in buttons if b.strip()],
        }
    params = {}
    for line in str(form.get("start_params", "")).splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            params[key.strip()] = value.strip()
    return {"name": form.get("name", ""), "flow": form.get("flow", ""), "start_params": params}


@signed_in()
async def objects_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    kind = request.match_info["kind"]
    path, title = KINDS[kind]
    items = (await call(request, "GET", path)).items
    return render(
        request,
        "objects.html",
        kind=kind,
        title=title,
        items=items,
        error=error,
        when=when,
        status=422 if error else 200,
    )


@signed_in()
async def create_object(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    kind = request.match_info["kind"]
    try:
        await call(request, "POST", KINDS[kind][0], object_body(kind, form))
    except ApiError as exc:
        return await objects_page(request, exc.message)
    raise redirect(f"/{kind}")


@signed_in()
async def delete_object(request: web.Request) -> web.StreamResponse:
    await check_csrf(request)
    kind = request.match_info["kind"]
    try:
        await call(request, "DELETE", KINDS[kind][0] + "/{id}", id=request.match_info["id"])
    except ApiError as exc:
        return await objects_page(request, exc.message)
    raise redirect(f"/{kind}")


# -- leads, channel, account ----------------------------------------------------------
@signed_in()
async def leads(request: web.Request) -> web.StreamResponse:
    """The leads list (filters, cursor pages) where its API exists, and one lead: its
    fields, tags and timeline (or its messages, where the timeline API does not exist)."""
    phone = request.query.get("phone", "").strip()
    lead = listed = timeline = error = None
    messages: list[Any] = []
    filters = {k: request.query.get(k, "").strip() for k in ("tag", "field", "integration")}
    try:
        if phone:
            lead = await call(request, "GET", "/api/leads/{phone}", phone=phone)
            if has_route("GET", "/api/leads/{phone}/timeline"):
                timeline = await call(
                    request, "GET", "/api/leads/{phone}/timeline", phone=phone,
                    query={"limit": 200},
                )  # fmt: skip
            else:
                messages = (
                    await call(request, "GET", "/api/leads/{phone}/messages", phone=phone)
                ).messages
        elif has_route("GET", "/api/leads"):
            query = {k: v for k, v in filters.items() if v}
            if cursor := request.query.get("cursor"):
                query["cursor"] = cursor
            listed = await call(request, "GET", "/api/leads", query={**query, "limit": 50})
    except ApiError as exc:
        error = exc.message
    integrations = (await call(request, "GET", "/api/integrations")).items
    return render(
        request,
        "leads.html",
        phone=phone,
        lead=lead,
        messages=messages,
        timeline=timeline,
        listed=listed,
        filters=filters,
        integrations=integrations,
        names={i.id: i.name for i in integrations},
        labels={name: cls.label for name, cls in action_types().items()},
        can_list=has_route("GET", "/api/leads"),
        error=error,
        when=when,
    )


def channel_types() -> list[str]:
    from schemas.api import ChannelIn

    return sorted(ChannelIn.model_json_schema()["discriminator"]["mapping"])


FAILED = "/api/messages/failed"


@signed_in()
async def channel_page(request: web.Request, error: str | None = None) -> web.StreamResponse:
    current = await call(request, "GET", "/api/account/channel")
    failed = (
        await maybe(request, "GET", FAILED, query={"limit": 50})
        if has_route("GET", FAILED)
        else None
    )
    return render(
        request,
        "channel.html",
        failed=failed.items if failed else [],
        can_retry=has_route("POST", "/api/messages/{command_id}/retry"),
        retried=request.query.get("retried"),
        when=when,
        current=current,
        types=channel_types(),
        error=error,
        saved=request.query.get("saved") == "1",
        status=422 if error else 200,
    )


@signed_in()
async def set_channel(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    try:
        settings = json.loads(str(form.get("settings") or "{}"))
    except ValueError as exc:
        return await channel_page(request, f"settings: {exc}")
    body = {**(settings if isinstance(settings, dict) else {}), "type": form.get("type")}
    try:
        await call(request, "PUT", "/api/account/channel", body)
    except ApiError as exc:
        return await channel_page(request, exc.message)
    raise redirect("/channel?saved=1")


@signed_in()
async def retry_messages(request: web.Request) -> web.StreamResponse:
    """Send failed messages again: one (by its command id) or every failed one."""
    form = await check_csrf(request)
    command_id = str(form.get("command_id") or "")
    try:
        if command_id:
            await call(request, "POST", "/api/messages/{command_id}/retry", command_id=command_id)
            count = 1
        else:
            count = len((await call(request, "POST", "/api/messages/retry", {})).items)
    except ApiError as exc:
        return await channel_page(request, exc.message)
    raise redirect(f"/channel?retried={count}#failed")


@signed_in()
async def account_page(request: web.Request) -> web.StreamResponse:
    return render(
        request,
        "account.html",
        me=await call(request, "GET", "/api/account"),
        allowed=account_of(request).plan.allows_webhooks,
    )


# -- admin ----------------------------------------------------------------------------
def all_accounts(request: web.Request) -> list[Account]:
    records = runtime_of(request).view.state.records.values()
    return sorted((r for r in records if isinstance(r, Account)), key=lambda a: a.created_at)


@signed_in(admin=True)
async def admin(
    request: web.Request, created: Any = None, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    from schemas.types import Plan

    return render(
        request,
        "admin.html",
        accounts=all_accounts(request),
        plans=list(Plan),
        created=created,
        error=error,
        when=when,
        status=status,
    )


@signed_in(admin=True)
async def admin_create(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    try:
        created = await call(
            request,
            "POST",
            "/api/accounts",
            {"name": form.get("name", ""), "plan": form.get("plan", "")},
        )
    except ApiError as exc:
        return await admin(request, error=exc.message, status=422)
    return await admin(request, created=created, status=201)


@signed_in(admin=True)
async def admin_plan(request: web.Request) -> web.StreamResponse:
    form = await check_csrf(request)
    try:
        await call(
            request,
            "PATCH",
            "/api/accounts/{id}",
            {"plan": form.get("plan", "")},
            id=request.match_info["id"],
        )
    except ApiError as exc:
        return await admin(request, error=exc.message, status=422)
    raise redirect("/admin")


def add_pages(app: web.Application) -> None:
    r = app.router
    r.add_get("/", home)
    r.add_get("/login", login_page)
    r.add_post("/login", login)
    r.add_post("/logout", logout)
    r.add_post("/lang", set_lang)
    r.add_get("/integrations", integrations)
    r.add_get("/integrations/new", new_integration)
    r.add_post("/integrations/new", create_integration)
    r.add_get("/integrations/{id}", view)
    r.add_get("/integrations/{id}/url", integration_url)
    r.add_post("/integrations/{id}/rotate", rotate)
    r.add_get("/integrations/{id}/edit", edit_page)
    r.add_post("/integrations/{id}/edit", edit)
    r.add_get("/integrations/{id}/delete", delete_page)
    r.add_post("/integrations/{id}/delete", delete)
    r.add_get("/integrations/{id}/mapping", mapping_page)
    r.add_get("/integrations/{id}/mapping/edit", mapping_edit)
    r.add_post("/integrations/{id}/mapping/edit", save_mapping)
    r.add_post("/integrations/{id}/mapping/preview", mapping_preview)
    if has_route("POST", f"{I}/test"):
        r.add_post("/integrations/{id}/test", send_test)
    r.add_get("/integrations/{id}/history/{request_id}", history_row)
    r.add_post("/integrations/{id}/replay", replay)
    r.add_get("/integrations/{id}/events", events_page)
    r.add_post("/integrations/{id}/events", create_event)
    r.add_get("/integrations/{id}/events/{event_id}", event_page)
    r.add_post("/integrations/{id}/events/{event_id}/delete", delete_event)
    r.add_post("/integrations/{id}/events/{event_id}/actions", create_action)
    r.add_post("/integrations/{id}/events/{event_id}/actions/{action_id}/delete", delete_action)
    r.add_post("/integrations/{id}/events/{event_id}/preview", template_preview)
    r.add_get("/fields", fields_page)
    r.add_post("/fields", create_field)
    r.add_post("/fields/{id}/delete", delete_field)
    if kinds := "|".join(kind for kind, (path, _) in KINDS.items() if has_route("GET", path)):
        r.add_get(f"/{{kind:{kinds}}}", objects_page)
        r.add_post(f"/{{kind:{kinds}}}", create_object)
        r.add_post(f"/{{kind:{kinds}}}/{{id}}/delete", delete_object)
    r.add_get("/leads", leads)
    r.add_get("/channel", channel_page)
    r.add_post("/channel", set_channel)
    if has_route("POST", "/api/messages/retry"):
        r.add_post("/channel/retry", retry_messages)
    r.add_get("/account", account_page)
    r.add_get("/admin", admin)
    r.add_post("/admin/accounts", admin_create)
    r.add_post("/admin/accounts/{id}", admin_plan)
