"""Monetizze postback (server to server): form-encoded PHP arrays plus a `json` field.

Source: Monetizze's published PHP postback example ("Documentação PostBack de integração da
Monetizze", https://app.monetizze.com.br/ferramentas/postback), as copied in public GitHub
material, and a typed transcription of the postback JSON in another public README.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset
from schemas.mapping import Mapping

# The same data arrives nested (JSON, or a form parser that nests PHP arrays) or flat with
# bracketed keys (a plain form parser): each path tries both spellings.
PRESET = Preset(
    id="monetizze",
    display_name="Monetizze",
    signature_scheme="none",
    event="to_string(tipoEvento.codigo || \"tipoEvento[codigo]\" || '')",
    mapping=Mapping(
        event="to_string(tipoEvento.codigo || \"tipoEvento[codigo]\" || '')",
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
    },
    documented=True,
    source="https://app.monetizze.com.br/ferramentas/postback (PHP example, public copies)",
    notes=(
        "Auth is the body field chave_unica compared with the account key (no scheme here: "
        "use header_token only if proxied). Buyer data is sent only to producer/co-producer or "
        "when released to the affiliate."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "chave_unica" in body and ("comprador" in body or "comprador[nome]" in body):
        return 0.9, "chave_unica with comprador"
    if "tipoEvento" in body or "tipoEvento[codigo]" in body:
        return 0.8, "tipoEvento block"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
