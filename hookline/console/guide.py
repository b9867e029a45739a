"""Where each platform takes a webhook URL: the short instructions shown beside the URL
and its Copiar button (pt-BR; :data:`hookline.console.i18n.EN` translates them).

Menu paths are the platforms' own labels as their help pages name them. A platform not
listed gets the general instructions; one that only registers webhooks through its API
says so."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guide:
    #: Where to paste the URL, as menu steps.
    where: str
    #: What to tick or test there, if anything.
    note: str = ""


GENERAL = Guide(
    "Nas configurações da plataforma, procure Webhooks (ou Notificações, Postback, API)"
    " e cadastre uma URL nova.",
    "Marque os eventos que devem chegar e use o envio de teste da plataforma, se houver.",
)
API_ONLY = "Esta plataforma cadastra webhooks pela API dela (não há tela para colar a URL)."

GUIDES: dict[str, Guide] = {
    "hotmart": Guide(
        "Hotmart: Ferramentas → Webhook (API e notificações) → Cadastrar webhook; cole a URL"
        " em URL para envio de dados, versão 2.0.0.",
        "Escolha os eventos e use Enviar teste para mandar um exemplo.",
    ),
    "eduzz": Guide(
        "Eduzz: Avançados → Webhooks → Novo webhook; cole a URL e escolha os eventos.",
    ),
    "kiwify": Guide(
        "Kiwify: Apps → Webhooks → Criar webhook; cole a URL e escolha o produto e os eventos.",
    ),
    "monetizze": Guide("Monetizze: Ferramentas → Postback; cole a URL no produto desejado."),
    "ticto": Guide("Ticto: Integrações → Webhook → Adicionar; cole a URL e os eventos."),
    "braip": Guide("Braip: Ferramentas → Postback → Nova postback; cole a URL."),
    "cakto": Guide("Cakto: Apps → Webhooks → Adicionar; cole a URL e os eventos."),
    "shopify": Guide(
        "Shopify: Configurações → Notificações → Webhooks → Criar webhook; formato JSON.",
        "Use Enviar notificação de teste para mandar um exemplo.",
    ),
    "stripe": Guide(
        "Stripe: Developers (Desenvolvedores) → Webhooks → Add endpoint; cole a URL e"
        " escolha os eventos.",
        "Depois de criar, copie o Signing secret para Editar → assinatura.",
    ),
    "woocommerce": Guide(
        "WooCommerce: WooCommerce → Configurações → Avançado → Webhooks → Adicionar webhook;"
        " cole a URL em URL de entrega e escolha o tópico.",
    ),
    "nuvemshop": Guide(API_ONLY),
    "calendly": Guide(API_ONLY),
    "activecampaign": Guide(
        "ActiveCampaign: Configurações → Desenvolvedor → Webhooks → Adicionar; cole a URL"
        " e escolha os eventos.",
    ),
    "asaas": Guide("Asaas: Integrações → Webhooks; cole a URL e ative a fila."),
    "yampi": Guide("Yampi: Configurações → Webhooks → Adicionar; cole a URL."),
    "zapier": Guide("Zapier: ação Webhooks by Zapier → POST; cole a URL em URL."),
    "twilio": Guide(
        "Twilio: Phone Numbers → número → Messaging → A message comes in / status callback;"
        " cole a URL."
    ),
}


def platform_guide(platform: str) -> Guide:
    return GUIDES.get(platform, GENERAL)
