"""``hookline account create``: an account and its API key, through a running server's
API (the same rules as ``POST /api/accounts``), so a first user needs no curl.

The key goes to standard output alone (``KEY=$(hookline account create ...)``); what it
is and where to sign in go to standard error."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import click

from schemas.types import Plan


@click.group()
def account() -> None:
    """Manage accounts (needs HOOKLINE_ADMIN_TOKEN, as the server has it)."""


@account.command()
@click.option("--name", required=True, help='The account\'s name, e.g. "Loja da Ana".')
@click.option(
    "--plan",
    type=click.Choice([p.value for p in Plan]),
    default=Plan.business.value,
    show_default=True,
    help="Business and Elite include webhook integrations.",
)
@click.option(
    "--url",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="The running server (hookline dev or hookline api).",
)
def create(name: str, plan: str, url: str) -> None:
    """Create an account and print its API key (shown once: keep it).

    \b
    Example:
      HOOKLINE_ADMIN_TOKEN=change-me hookline account create --name "Loja da Ana"
    """
    token = os.environ.get("HOOKLINE_ADMIN_TOKEN", "")
    if not token:
        raise click.UsageError("set HOOKLINE_ADMIN_TOKEN to the server's admin token")
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.UsageError("--url must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{base}/api/accounts",
        data=json.dumps({"name": name, "plan": plan}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            created = json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise click.ClickException(f"the server answered {exc.code}: {detail}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach {base}: {exc}") from None
    click.echo(f"account {created['id']} ({created['name']}, {created['plan']}) created;", err=True)
    click.echo(f"sign in at {base}/ with this API key (shown once):", err=True)
    click.echo(created["api_key"])
