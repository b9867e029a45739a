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


#: The same instructions in English (menu labels as the platforms show them in English).
EN: dict[str, str] = {
    GENERAL.where: "In the platform's settings, look for Webhooks (or Notifications, Postback,"
    " API) and add a new URL.",
    GENERAL.note: "Tick the events that should arrive and use the platform's test send, if any.",
    API_ONLY: "This platform registers webhooks through its own API (there is no screen to"
    " paste the URL into).",
    GUIDES["hotmart"].where: "Hotmart: Tools → Webhook (API and notifications) → Register"
    " webhook; paste the URL into URL to send data to, version 2.0.0.",
    GUIDES["hotmart"].note: "Choose the events and use Send test to send an example.",
    GUIDES["eduzz"].where: "Eduzz: Advanced → Webhooks → New webhook; paste the URL and choose"
    " the events.",
    GUIDES["kiwify"].where: "Kiwify: Apps → Webhooks → Create webhook; paste the URL and choose"
    " the product and events.",
    GUIDES["monetizze"].where: "Monetizze: Tools → Postback; paste the URL into the product.",
    GUIDES["ticto"].where: "Ticto: Integrations → Webhook → Add; paste the URL and the events.",
    GUIDES["braip"].where: "Braip: Tools → Postback → New postback; paste the URL.",
    GUIDES["cakto"].where: "Cakto: Apps → Webhooks → Add; paste the URL and the events.",
    GUIDES["shopify"].where: "Shopify: Settings → Notifications → Webhooks → Create webhook;"
    " JSON format.",
    GUIDES["shopify"].note: "Use Send test notification to send an example.",
    GUIDES["stripe"].where: "Stripe: Developers → Webhooks → Add endpoint; paste the URL and"
    " choose the events.",
    GUIDES["stripe"].note: "Once created, copy the Signing secret into Edit → signature.",
    GUIDES["woocommerce"].where: "WooCommerce: WooCommerce → Settings → Advanced → Webhooks →"
    " Add webhook; paste the URL into Delivery URL and choose the topic.",
    GUIDES["activecampaign"].where: "ActiveCampaign: Settings → Developer → Webhooks → Add;"
    " paste the URL and choose the events.",
    GUIDES["asaas"].where: "Asaas: Integrations → Webhooks; paste the URL and turn the queue on.",
    GUIDES["yampi"].where: "Yampi: Settings → Webhooks → Add; paste the URL.",
    GUIDES["zapier"].where: "Zapier: Webhooks by Zapier action → POST; paste the URL into URL.",
    GUIDES["twilio"].where: "Twilio: Phone Numbers → the number → Messaging → A message comes"
    " in / status callback; paste the URL.",
}
