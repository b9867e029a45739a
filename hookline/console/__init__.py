"""The console: the integration flow in a browser, served by the API process at ``/``
(and so by ``hookline dev``). Server-rendered Jinja2 pages in pt-BR (English
selectable), a small ES module for copy, the mapping tree and live previews, no build
step. Every read and write goes through the management API's own route handlers
(:mod:`hookline.console.invoke`); sign-in, sessions and CSRF are in
:mod:`hookline.console.http` and :mod:`hookline.console.session`."""

from __future__ import annotations

from aiohttp import web

from hookline.console.http import CONSOLE, HERE, SECURITY_HEADERS, Console
from hookline.console.pages import add_pages
from hookline.runtime import RUNTIME


@web.middleware
async def static_headers(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/static/"):
        response.headers["X-Content-Type-Options"] = SECURITY_HEADERS["X-Content-Type-Options"]
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


def add_console_routes(app: web.Application) -> None:
    """Register the console's pages and static files (the app must hold ``app[RUNTIME]``)."""
    app[CONSOLE] = Console.create(app[RUNTIME])
    app.middlewares.append(static_headers)
    app.router.add_static("/static/", HERE / "static", append_version=False)
    add_pages(app)


__all__ = ["add_console_routes"]
