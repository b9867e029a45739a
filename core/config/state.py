"""The in-memory view of config, with the look-ups the processes need.

Pure: records go in through :meth:`ConfigState.apply` (``None`` deletes) in
topic order, and indexes are kept in step so every look-up is a dict access.
What the workers derive from records on every webhook (the sorted children of a
record, an action's parameters, ...) is kept until a record changes: config changes
are rare, webhooks are many.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from schemas.config import (
    Account,
    Action,
    Channel,
    ChatbotFlow,
    ConfigRecord,
    ConversionEvent,
    CustomField,
    Integration,
    IntegrationMapping,
    QuickReply,
    config_key,
)
from schemas.mapping import Mapping
from schemas.types import utcnow

T = TypeVar("T")
R = TypeVar("R", bound=ConfigRecord)


def secret_hash(secret: str) -> str:
    """API keys and URL tokens are stored as sha256 hex; they are 128+ bit random
    strings, so a fast hash is enough (no password stretching needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ConfigState:
    def __init__(self) -> None:
        self.records: dict[str, ConfigRecord] = {}
        self._account_by_key_hash: dict[str, str] = {}
        self._integration_by_token_hash: dict[str, str] = {}
        self._children: defaultdict[str, set[str]] = defaultdict(set)
        #: (parent key, kind) -> its children sorted; emptied by any change (a child
        #: added, removed or moved, a record replaced).
        self._sorted_children: dict[tuple[str, type], tuple[Any, ...]] = {}
        #: record key -> {builder: (the record it was built from, the value)}.
        self._derived: dict[str, dict[Callable[[Any], Any], tuple[ConfigRecord, Any]]] = {}

    # -- updates -------------------------------------------------------------
    def apply(self, key: str, record: ConfigRecord | None) -> None:
        self._sorted_children.clear()
        self._derived.pop(key, None)
        old = self.records.pop(key, None)
        if old is not None:
            self._index(old, add=False)
        if record is not None:
            self.records[key] = record
            self._index(record, add=True)

    def _index(self, record: ConfigRecord, *, add: bool) -> None:
        def link(parent: str) -> None:
            children = self._children[parent]
            if add:
                children.add(record.key)
            else:
                children.discard(record.key)

        match record:
            case Account():
                self._set(self._account_by_key_hash, record.api_key_hash, record.id, add)
            case Integration():
                for token in record.tokens:
                    self._set(self._integration_by_token_hash, token.hash, record.id, add)
                link(config_key("account", record.account_id))
            case CustomField():
                link(config_key("account", record.account_id))
            case ConversionEvent():
                link(config_key("integration", record.integration_id))
            case Action():
                link(config_key("conversion_event", record.event_id))
                if (named := record.object_key) is not None:
                    link(named)
            case QuickReply() | ChatbotFlow():
                link(config_key("account", record.account_id))
            case IntegrationMapping():
                pass

    @staticmethod
    def _set(index: dict[str, str], key: str, value: str, add: bool) -> None:
        if add:
            index[key] = value
        elif index.get(key) == value:
            del index[key]

    # -- look-ups ------------------------------------------------------------
    def get(self, kind: str, record_id: str) -> ConfigRecord | None:
        return self.records.get(config_key(kind, record_id))

    def account(self, account_id: str) -> Account | None:
        record = self.get("account", account_id)
        return record if isinstance(record, Account) else None

    def account_by_api_key(self, api_key: str) -> Account | None:
        account_id = self._account_by_key_hash.get(secret_hash(api_key))
        return self.account(account_id) if account_id else None

    def integration(self, integration_id: str) -> Integration | None:
        record = self.get("integration", integration_id)
        return record if isinstance(record, Integration) else None

    def integration_by_token(self, token: str, now: datetime | None = None) -> Integration | None:
        """Look up by the token's hash; an expired (rotated-away) token finds nothing."""
        token_hash = secret_hash(token)
        integration = self.integration(self._integration_by_token_hash.get(token_hash, ""))
        if integration is None:
            return None
        now = now or utcnow()
        for stored in integration.tokens:
            if hmac.compare_digest(stored.hash, token_hash):
                return integration if stored.expires_at is None or stored.expires_at > now else None
        return None

    def channel(self, account_id: str) -> Channel | None:
        record = self.get("channel", account_id)
        return record if isinstance(record, Channel) else None

    def mapping(self, integration_id: str) -> Mapping | None:
        record = self.get("mapping", integration_id)
        return record.mapping if isinstance(record, IntegrationMapping) else None

    def _children_of(self, parent_key: str, kind: type) -> list:
        """Oldest first. A new list each time (callers may change it); sorted once per
        config change (the worker asks for an event's actions on every webhook)."""
        sorted_children = self._sorted_children.get((parent_key, kind))
        if sorted_children is None:
            found = (self.records.get(k) for k in self._children.get(parent_key, ()))
            children = (r for r in found if isinstance(r, kind))
            sorted_children = tuple(sorted(children, key=lambda r: (r.created_at, r.id)))
            self._sorted_children[(parent_key, kind)] = sorted_children
        return list(sorted_children)

    def derived(self, record: R, build: Callable[[R], T]) -> T:
        """``build(record)``, built once per config record: what depends on the record
        alone (an action's parameters, a custom field's type) is built again only when
        the record changes. A change replaces the record object (:meth:`apply`), so a
        hit needs the very same object; ``build`` must not read any other record."""
        built = self._derived.setdefault(record.key, {})
        found = built.get(build)
        if found is not None and found[0] is record:
            return found[1]  # type: ignore[no-any-return]
        value = build(record)
        built[build] = (record, value)
        return value

    def integrations_of(self, account_id: str) -> list[Integration]:
        return self._children_of(config_key("account", account_id), Integration)

    def custom_fields_of(self, account_id: str) -> list[CustomField]:
        return self._children_of(config_key("account", account_id), CustomField)

    def events_of(self, integration_id: str) -> list[ConversionEvent]:
        return self._children_of(config_key("integration", integration_id), ConversionEvent)

    def actions_of(self, event_id: str) -> list[Action]:
        return self._children_of(config_key("conversion_event", event_id), Action)

    def quick_replies_of(self, account_id: str) -> list[QuickReply]:
        return self._children_of(config_key("account", account_id), QuickReply)

    def chatbot_flows_of(self, account_id: str) -> list[ChatbotFlow]:
        return self._children_of(config_key("account", account_id), ChatbotFlow)

    def actions_using(self, kind: str, record_id: str) -> list[Action]:
        """The actions that name this object (a quick reply, a chatbot flow)."""
        return self._children_of(config_key(kind, record_id), Action)

    def matching_events(self, integration_id: str, event_value: str) -> list[ConversionEvent]:
        """The integration's events this value triggers, oldest first (exact match, or
        ignoring case for an event that says so)."""
        return [e for e in self.events_of(integration_id) if e.matches(event_value)]
