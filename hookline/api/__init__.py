"""The management API (``/api``): accounts, integrations, mappings, custom fields,
conversion events and actions, and reads of leads and history.

``routes.py`` is the one table of routes; ``app.py`` registers it, ``openapi.py``
documents it; one module per resource holds the handlers."""

from hookline.api.app import add_api_routes

__all__ = ["add_api_routes"]
