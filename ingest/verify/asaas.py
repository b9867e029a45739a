"""Asaas: the webhook's ``authToken`` arrives as-is in ``asaas-access-token``. No HMAC."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("asaas")
class AsaasVerifier(TokenVerifier):
    header = "asaas-access-token"
