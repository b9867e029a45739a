"""The console's HTTP plumbing: who is signed in, CSRF checks, rendering and cookies.

Every page answers ``Cache-Control: no-store`` and a strict Content-Security-Policy
(scripts and styles from the console's own static files only)."""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from core.config.state import secret_hash
from core.serverkey import derive, server_key
from hookline.api.call import ApiError
from hookline.console.i18n import DEFAULT_LANG, LANGS, translator
from hookline.console.session import ADMIN, SESSION_SECONDS, Session, SessionSigner, new_nonce
from hookline.runtime import RUNTIME, Runtime
from schemas.config import Account

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "hookline_session"
PRESESSION_COOKIE = "hookline_pre"
LANG_COOKIE = "hookline_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass
class Console:
    signer: SessionSigner
    templates: jinja2.Environment
    #: Cookies get ``Secure`` when the public URL is https.
    secure: bool

    @classmethod
    def create(cls, runtime: Runtime) -> Console:
        key = server_key(runtime.settings)
        if key is None:
            log.warning(
                "HOOKLINE_SERVER_KEY is not set: console sessions end when this process stops"
            )
            key = os.urandom(32)
        templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.ChainableUndefined,  # a missing value renders empty
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # An event's actions, each as its own model (the API answers a tagged union).
        templates.globals["actions_of"] = lambda event: [
            getattr(a, "root", a) for a in event.actions
        ]
        secure = runtime.settings.public_url.startswith("https://")
        return cls(SessionSigner(derive(key, "console-session")), templates, secure)


CONSOLE = web.AppKey("console", Console)


@dataclass(frozen=True)
class Visitor:
    """Who is on the page: a session (None before sign-in) and its account (None for
    the admin)."""

    session: Session | None
    account: Account | None

    @property
    def is_admin(self) -> bool:
        return self.session is not None and self.session.is_admin


VISITOR = web.RequestKey("console_visitor", Visitor)


def runtime_of(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def admin_hash(runtime: Runtime) -> str | None:
    token = runtime.settings.admin_token
    return secret_hash(token.get_secret_value()) if token and token.get_secret_value() else None


def visitor(request: web.Request) -> Visitor:
    """The signed-in visitor; a session whose credential changed or whose account is gone
    counts as none."""
    cached = request.get(VISITOR)
    if cached is not None:
        return cached
    console, runtime = console_of(request), runtime_of(request)
    session = console.signer.load(request.cookies.get(SESSION_COOKIE))
    account = None
    if session is not None:
        if session.is_admin:
            expected = admin_hash(runtime)
        else:
            account = runtime.view.state.account(session.subject)
            expected = account.api_key_hash if account else None
        if expected is None or console.signer.fingerprint(expected) != session.fingerprint:
            session, account = None, None
    found = Visitor(session, account)
    request[VISITOR] = found
    return found


def csrf_nonce(request: web.Request) -> str | None:
    """What this browser's CSRF token is bound to: the session's nonce once signed in,
    the pre-sign-in cookie before."""
    session = visitor(request).session
    return session.nonce if session else request.cookies.get(PRESESSION_COOKIE)


def same_origin(request: web.Request) -> bool:
    """A request whose Origin (or Referer) names another site is refused outright."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


async def check_csrf(request: web.Request) -> dict[str, Any]:
    """The form fields of a state-changing request, after its CSRF token was checked
    (403 otherwise). JSON bodies carry the token in the X-CSRF-Token header."""
    form: dict[str, Any] = {}
    if request.content_type == "application/json":
        data = await request.json()
        form = data if isinstance(data, dict) else {}
        token = request.headers.get(CSRF_HEADER)
    else:
        posted = await request.post()
        form = {k: posted.getall(k) if len(posted.getall(k)) > 1 else posted[k] for k in posted}
        token = request.headers.get(CSRF_HEADER) or posted.get(CSRF_FIELD)
    if not same_origin(request) or not console_of(request).signer.csrf_ok(
        csrf_nonce(request), token if isinstance(token, str) else None
    ):
        raise web.HTTPForbidden(text="CSRF check failed: reload the page and try again")
    form.pop(CSRF_FIELD, None)
    return form


def lang_of(request: web.Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=console_of(request).secure,
    )


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    lang = lang_of(request)
    who = visitor(request)
    nonce = csrf_nonce(request)
    fresh_nonce = None
    if nonce is None:  # first visit: a pre-sign-in nonce for the sign-in form's token
        nonce = fresh_nonce = new_nonce()
    page = console_of(request).templates.get_template(template)
    html = page.render(
        t=translator(lang),
        lang=lang,
        langs=LANGS,
        csrf=console_of(request).signer.csrf_token(nonce),
        visitor=who,
        account=who.account,
        path=request.path,
        **{"error": None} | context,
    )
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    if fresh_nonce is not None:
        set_cookie(request, response, PRESESSION_COOKIE, fresh_nonce, 3600)
    return response


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


Handler = Callable[..., Awaitable[web.StreamResponse]]


def signed_in(*, admin: bool = False) -> Callable[[Handler], Handler]:
    """Pages for a signed-in account (or the admin): others are sent to /login, and the
    other kind of visitor to their own home."""

    def wrap(handler: Handler) -> Handler:
        async def page(request: web.Request, *args: Any, **kwargs: Any) -> web.StreamResponse:
            who = visitor(request)
            if who.session is None:
                raise redirect("/login")
            if who.is_admin != admin:
                raise redirect("/admin" if who.is_admin else "/integrations")
            try:
                return await handler(request, *args, **kwargs)
            except ApiError as exc:  # what the API would have answered, as a page
                return render(request, "error.html", status=exc.status, error=exc.message)

        page.__name__ = handler.__name__
        return page

    return wrap


def sign_in(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    signer = console_of(request).signer
    set_cookie(request, response, SESSION_COOKIE, signer.dump(session), SESSION_SECONDS)
    response.del_cookie(PRESESSION_COOKIE, path="/")


def subject_for(runtime: Runtime, credential: str) -> tuple[str, str] | None:
    """(subject, stored credential hash) of a pasted API key or admin token, or None."""
    hashed = admin_hash(runtime)
    if hashed is not None and hmac.compare_digest(secret_hash(credential), hashed):
        return ADMIN, hashed
    account = runtime.view.state.account_by_api_key(credential)
    return (account.id, account.api_key_hash) if account else None
