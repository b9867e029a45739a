"""Accounts: created and re-planned by the admin; an account reads itself."""

from __future__ import annotations

import secrets

from core.config.state import secret_hash
from hookline.api.call import Call, not_found
from schemas.api import AccountCreate, AccountCreated, AccountOut, AccountPatch
from schemas.config import Account
from schemas.types import new_id, utcnow


async def create_account(call: Call) -> AccountCreated:
    body: AccountCreate = call.body
    api_key = "hk_" + secrets.token_urlsafe(32)
    account = Account(
        id=new_id("acc"), name=body.name, plan=body.plan, api_key_hash=secret_hash(api_key)
    )
    await call.runtime.writer.put(account)
    return AccountCreated.from_record(account, api_key=api_key)


async def update_account(call: Call) -> AccountOut:
    body: AccountPatch = call.body
    account = call.state.account(call.path("id"))
    if account is None:
        raise not_found("account")
    if changes := body.changes():
        account = account.model_copy(update={**changes, "updated_at": utcnow()})
        await call.runtime.writer.put(account)
    return AccountOut.from_record(account)


async def get_account(call: Call) -> AccountOut:
    return AccountOut.from_record(call.account)
