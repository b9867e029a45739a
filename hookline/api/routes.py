"""The route table: every management API route, declared once.

:func:`hookline.api.app.add_api_routes` registers exactly these routes and
:mod:`hookline.api.openapi` documents exactly these, so the document cannot
drift from the code: the request and query models declared here are the ones
requests are validated with, and a handler must return the declared response
model."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from hookline.api import (
    accounts,
    channel,
    delivery_test,
    discovery,
    events,
    fields,
    history,
    integrations,
    leads,
    messages,
    objects,
    openapi,
    platforms,
    templates,
)
from hookline.api.auth import Auth
from hookline.api.call import Call
from schemas import api as m
from schemas.channels import CHANNEL_TYPES
from schemas.mapping import Mapping

Handler = Callable[[Call], Awaitable[BaseModel | web.StreamResponse | None]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    #: Status of a successful answer; 204 answers have no body.
    status: int = 200
    auth: Auth = "api_key"
    #: Reads ClickHouse history (503 in a process without it).
    history: bool = False
    #: Route-specific failures, beyond those that follow from the fields above.
    errors: tuple[int, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def error_statuses(self) -> list[int]:
        codes = set(self.errors)
        if self.auth != "none":
            codes |= {401, 503}  # bad credentials; not ready (or admin token unset)
        if self.body is not None:
            codes |= {400, 413, 422}
        if self.query is not None:
            codes.add(422)
        if self.path_params:
            codes.add(404)
        return sorted(codes)


# One row per route: method, path, handler, summary, then what differs from the defaults.
# fmt: off
ROUTES: tuple[Route, ...] = (
    # accounts
    Route("POST", "/api/accounts", accounts.create_account,
          "Create an account and its API key",
          body=m.AccountCreate, response=m.AccountCreated, status=201, auth="admin"),
    Route("PATCH", "/api/accounts/{id}", accounts.update_account,
          "Change an account's name or plan",
          body=m.AccountPatch, response=m.AccountOut, auth="admin"),
    Route("GET", "/api/account", accounts.get_account,
          "The calling account",
          response=m.AccountOut),
    Route("GET", "/api/account/channel", channel.get_channel,
          "The account's message channel (credentials never returned)",
          response=m.ChannelOut),
    Route("PUT", "/api/account/channel", channel.put_channel,
          f"Set the account's message channel: {', '.join(CHANNEL_TYPES)}",
          body=m.ChannelIn, response=m.ChannelOut),
    # messages that did not reach their lead
    Route("GET", "/api/messages/failed", messages.failed_messages,
          "Messages that failed or may not have been delivered (each with its retries: the"
          " latest attempt), with the reason, newest first",
          query=m.LimitQuery, response=m.FailedMessageList, history=True),
    Route("POST", "/api/messages/{command_id}/retry", messages.retry_message,
          "Send a failed message again, as a new command (<first command id>-r<n>)",
          response=m.RetryOut, status=202, history=True, errors=(409,)),
    Route("POST", "/api/messages/retry", messages.retry_failed,
          "Send every failed message again (unknown ones, which may have been delivered,"
          " only with include_unknown)",
          body=m.RetryAll, response=m.RetryList, status=202, history=True),
    # integrations
    Route("POST", "/api/integrations", integrations.create_integration,
          "Create an integration and its webhook URL",
          body=m.IntegrationCreate, response=m.IntegrationCreated, status=201, errors=(403,)),
    Route("GET", "/api/integrations", integrations.list_integrations,
          "List integrations",
          response=m.IntegrationList),
    Route("GET", "/api/integrations/{id}", integrations.get_integration,
          "Read an integration",
          response=m.IntegrationOut),
    Route("PATCH", "/api/integrations/{id}", integrations.update_integration,
          "Change an integration's name, platform, enabled flag, secret, signature options,"
          " rate limit or custom response",
          body=m.IntegrationPatch, response=m.IntegrationOut),
    Route("DELETE", "/api/integrations/{id}", integrations.delete_integration,
          "Delete an integration with its mapping, events and actions",
          status=204),
    Route("GET", "/api/integrations/{id}/url", integrations.get_url,
          "The integration's current webhook URL again (kept encrypted under the server key)",
          response=m.IntegrationWithToken, errors=(409,)),
    Route("POST", "/api/integrations/{id}/rotate-token", integrations.rotate_token,
          "Issue a new webhook URL; the old one keeps working for grace_seconds",
          body=m.RotateToken, response=m.IntegrationWithToken),
    Route("PUT", "/api/integrations/{id}/mapping", integrations.put_mapping,
          "Set the field mapping (event, name, phone, custom fields)",
          body=Mapping, response=m.MappingSaved),
    Route("GET", "/api/integrations/{id}/mapping", integrations.get_mapping,
          "Read the field mapping",
          response=Mapping),
    Route("POST", "/api/integrations/{id}/test", delivery_test.send_test,
          "Send the platform's public sample payload through the integration's URL, signed",
          body=m.TestDelivery, response=m.TestDeliveryOut),
    # custom fields
    Route("POST", "/api/custom-fields", fields.create_custom_field,
          "Create a custom field",
          body=m.CustomFieldCreate, response=m.CustomFieldOut, status=201, errors=(409,)),
    Route("GET", "/api/custom-fields", fields.list_custom_fields,
          "List custom fields",
          response=m.CustomFieldList),
    Route("PATCH", "/api/custom-fields/{id}", fields.update_custom_field,
          "Change a custom field's description or type (text, number, date, boolean)",
          body=m.CustomFieldPatch, response=m.CustomFieldOut),
    Route("DELETE", "/api/custom-fields/{id}", fields.delete_custom_field,
          "Delete a custom field that no action writes",
          status=204, errors=(409,)),
    # quick replies and chatbot flows: what send_quick_reply / send_chatbot actions name
    Route("POST", "/api/quick-replies", objects.create_quick_reply,
          "Create a quick reply: a name, a text (a template) and up to 3 reply buttons",
          body=m.QuickReplyCreate, response=m.QuickReplyOut, status=201),
    Route("GET", "/api/quick-replies", objects.list_quick_replies,
          "List quick replies, with the actions that send each",
          response=m.QuickReplyList),
    Route("GET", "/api/quick-replies/{id}", objects.get_quick_reply,
          "Read a quick reply",
          response=m.QuickReplyOut),
    Route("PATCH", "/api/quick-replies/{id}", objects.update_quick_reply,
          "Change a quick reply (messages already on their way keep the content they carry)",
          body=m.QuickReplyPatch, response=m.QuickReplyOut),
    Route("DELETE", "/api/quick-replies/{id}", objects.delete_quick_reply,
          "Delete a quick reply that no action sends",
          status=204, errors=(409,)),
    Route("POST", "/api/chatbot-flows", objects.create_chatbot_flow,
          "Create a chatbot flow: a name, the flow reference and start parameters (templates)",
          body=m.ChatbotFlowCreate, response=m.ChatbotFlowOut, status=201),
    Route("GET", "/api/chatbot-flows", objects.list_chatbot_flows,
          "List chatbot flows, with the actions that start each",
          response=m.ChatbotFlowList),
    Route("GET", "/api/chatbot-flows/{id}", objects.get_chatbot_flow,
          "Read a chatbot flow",
          response=m.ChatbotFlowOut),
    Route("PATCH", "/api/chatbot-flows/{id}", objects.update_chatbot_flow,
          "Change a chatbot flow (flows already on their way keep what they carry)",
          body=m.ChatbotFlowPatch, response=m.ChatbotFlowOut),
    Route("DELETE", "/api/chatbot-flows/{id}", objects.delete_chatbot_flow,
          "Delete a chatbot flow that no action starts",
          status=204, errors=(409,)),
    # templates (messages, quick replies, chatbot start parameters, field values)
    Route("GET", "/api/integrations/{id}/template-variables", templates.template_variables,
          "The variables templates of the integration's actions may use, with their values in"
          " its latest webhook, and the filters",
          response=m.TemplateVariablesOut, history=True),
    Route("POST", "/api/integrations/{id}/template-preview", templates.preview_template,
          "Render a template against the integration's latest webhook (or a given payload):"
          " the text, or the variables without a value",
          body=m.TemplatePreviewIn, response=m.TemplatePreviewOut),
    # conversion events and their actions
    Route("POST", "/api/integrations/{id}/events", events.create_event,
          "Create a conversion event (409 when another event of the integration matches the"
          " same identification; a warning names close ones when the platform's catalogue"
          " lacks it)",
          body=m.EventCreate, response=m.EventOut, status=201, errors=(409,)),
    Route("GET", "/api/integrations/{id}/events", events.list_events,
          "List conversion events with their actions",
          response=m.EventList),
    Route("PATCH", "/api/integrations/{id}/events/{event_id}", events.update_event,
          "Change a conversion event's name, identification or case-insensitive matching",
          body=m.EventPatch, response=m.EventOut, errors=(409,)),
    Route("DELETE", "/api/integrations/{id}/events/{event_id}", events.delete_event,
          "Delete a conversion event and its actions",
          status=204),
    Route("POST", "/api/integrations/{id}/events/{event_id}/actions", events.create_action,
          "Add an action to a conversion event (at most one send action)",
          body=m.ActionIn, response=m.ActionOut, status=201, errors=(409,)),
    Route("PATCH", "/api/integrations/{id}/events/{event_id}/actions/{action_id}",
          events.update_action,
          "Change an action's parameters, or its type (still at most one send action)",
          body=m.ActionPatch, response=m.ActionOut, errors=(409,)),
    Route("DELETE", "/api/integrations/{id}/events/{event_id}/actions/{action_id}",
          events.delete_action,
          "Delete an action",
          status=204),
    # history (ClickHouse)
    # leads (ClickHouse); {phone} in any spelling: +55 11 99999-0000, (11) 99999-0000
    Route("GET", "/api/leads", leads.list_leads,
          "List leads by phone, filtered by tag, field (name=value), integration and time of"
          " the last change, a page at a time (next_cursor)",
          query=m.LeadQuery, response=m.LeadList, history=True),
    Route("GET", "/api/leads/{phone}", leads.get_lead,
          "A lead's name, tags, custom fields (typed) and standard fields",
          response=m.LeadOut, history=True, errors=(422,)),
    Route("GET", "/api/leads/{phone}/messages", leads.lead_messages,
          "Messages sent to a lead",
          response=m.MessageList, history=True, errors=(422,)),
    Route("GET", "/api/leads/{phone}/timeline", leads.lead_timeline,
          "A lead's webhooks, what their actions did and the messages sent, in time order",
          query=m.TimelineQuery, response=m.Timeline, history=True, errors=(422,)),
    Route("GET", "/api/integrations/{id}/history", history.webhook_history,
          "Recent webhooks of an integration, newest first",
          query=m.LimitQuery, response=m.WebhookList, history=True),
    Route("GET", "/api/integrations/{id}/deadletters", history.deadletters,
          "Recent dead letters of an integration, newest first",
          query=m.LimitQuery, response=m.DeadLetterList, history=True),
    Route("POST", "/api/integrations/{id}/deadletters/replay", history.replay_deadletters,
          "Send outstanding dead letters through the pipeline again",
          body=m.ReplayRequest, response=m.ReplayResult, history=True),
    Route("GET", "/api/integrations/{id}/rejected", history.rejected_requests,
          "Recent requests the webhook URL refused (signature, size, encoding), newest first",
          query=m.LimitQuery, response=m.RejectedList, history=True),
    # platform presets and discovery ("Visualizar")
    Route("GET", "/api/platforms", platforms.list_platforms,
          "List platform presets with their event catalogues (pt-BR labels)",
          response=m.PlatformList),
    Route("GET", "/api/platforms/{id}", platforms.get_platform,
          "Read one platform preset",
          response=m.PlatformOut),
    Route("GET", "/api/integrations/{id}/structure", discovery.get_structure,
          "Paths seen in the integration's recent payloads, with types, examples and frequency",
          query=m.DiscoveryQuery, response=m.StructureOut, history=True),
    Route("GET", "/api/integrations/{id}/suggested-mapping", discovery.suggested_mapping,
          "A mapping proposed from recent payloads, with confidences and detected platforms",
          query=m.DiscoveryQuery, response=m.SuggestedMappingOut, history=True),
    # this document
    Route("GET", "/api/openapi.json", openapi.openapi_json,
          "This API as an OpenAPI 3.1 document",
          auth="none"),
)
# fmt: on
