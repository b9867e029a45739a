"""Monetizze postback (server to server), both versions:

- **v1**: a form post of PHP arrays (``venda[status]``, ``comprador[nome]``, ...), with no
  event code: the sale's status (``Finalizada``, ``Cancelada``, ...) is the event;
- **v2**: ``tipoEvento{codigo, descricao}`` names the event (``2`` = approved), sent as the
  same form post or as JSON (``comprador``, ``venda``, ``produto`` objects).

Each path reads both spellings: nested (JSON) and flat bracketed keys (a form).

Source: Monetizze's published PHP postback example ("Documentação PostBack de integração da
Monetizze", https://app.monetizze.com.br/ferramentas/postback), as copied in public GitHub
material, and a typed transcription of the postback JSON in another public README.
Auth: the account's ``chave_unica`` travels in the body and is compared with the
integration's secret (``field_token``); it is masked wherever bodies are kept.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset
from schemas.mapping import Mapping

# The same data arrives nested (JSON, or a form parser that nests PHP arrays) or flat with
# bracketed keys (a plain form parser): each path tries both spellings.
#: v2 names its event code; v1 only says the sale's status.
_EVENT = ("tipoEvento.codigo", '"tipoEvento[codigo]"', "venda.status", '"venda[status]"')

PRESET = Preset(
    id="monetizze",
    display_name="Monetizze",
    signature_scheme="field_token",
    event=_EVENT,
    mapping=Mapping(
        event=_EVENT,
        name='comprador.nome || "comprador[nome]"',
        phone='comprador.telefone || "comprador[telefone]"',
        fields={
            "email": 'comprador.email || "comprador[email]"',
            "document": 'comprador.cnpj_cpf || "comprador[cnpj_cpf]"',
            "product": 'produto.nome || "produto[nome]"',
            "value": 'venda.valor || "venda[valor]"',
            "status": 'venda.status || "venda[status]"',
            "transaction_id": 'venda.codigo || "venda[codigo]"',
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "1": "Aguardando pagamento",
        "2": "Finalizada / Aprovada",
        "3": "Cancelada",
        "4": "Devolvida (Reembolso)",
        "5": "Bloqueada",
        "6": "Completa",
        "7": "Abandono de checkout",
        "101": "Assinatura ativa",
        "102": "Assinatura inadimplente",
        "103": "Assinatura cancelada",
        "104": "Assinatura aguardando pagamento",
        "Aguardando pagamento": "Aguardando pagamento (postback v1)",
        "Finalizada": "Finalizada / Aprovada (postback v1)",
        "Cancelada": "Cancelada (postback v1)",
        "Devolvida": "Devolvida (postback v1)",
        "Bloqueada": "Bloqueada (postback v1)",
        "Completa": "Completa (postback v1)",
    },
    documented=True,
    source="https://app.monetizze.com.br/ferramentas/postback (PHP example, public copies)",
    notes=(
        "Auth: the body field chave_unica is compared with the integration's secret "
        "(field_token). Buyer data is sent only to producer/co-producer or when released to "
        "the affiliate."
    ),
    covers=(
        "Postback v2 (tipoEvento.codigo is the event), form-encoded PHP arrays",
        "Postback v2 as JSON (comprador, venda, produto objects)",
        "Postback v1 (no tipoEvento: venda[status] is the event), form-encoded",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "chave_unica" in body and ("comprador" in body or "comprador[nome]" in body):
        return 0.9, "chave_unica with comprador"
    if "tipoEvento" in body or "tipoEvento[codigo]" in body:
        return 0.8, "tipoEvento block"
    if "chave_unica" in body and ("venda" in body or "venda[codigo]" in body):
        return 0.85, "chave_unica with venda"
    return None


PLATFORM = Platform(preset=PRESET, credential_fields=("chave_unica",), detect=_detect)
