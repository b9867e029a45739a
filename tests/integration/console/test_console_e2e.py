"""The console's whole flow in Debian's Chromium, against a real ``hookline dev``: an
account from ``hookline account create``, sign-in, a Hotmart integration, its URL
copied, the real Hotmart sample posted to it, the mapping made by clicking the data
structure, a custom field, a conversion event from the catalogue with cumulative
actions and one send action, the lead and its message, the history, edit, re-map,
delete. Screenshots of each step go to a temporary folder, or to docs/console/ (the
README shows the main ones) with HOOKLINE_SCREENSHOTS=docs/console."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookline.embedded.devprocess import DevServer
from tests.integration.console.browser import chromium
from tests.samples import load_samples, require_samples_dir

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

#: Where the screenshots go: a temporary folder, so a test run leaves the tree as it was;
#: HOOKLINE_SCREENSHOTS=docs/console refreshes the README's.
SHOTS = Path(
    os.environ.get("HOOKLINE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "hookline-console"
)
PHONE = "+5599999999900"


def _sample() -> dict[str, Any]:
    require_samples_dir()
    (sample,) = [s for s in load_samples() if s.name == "hotmart__PURCHASE_CANCELED.json"]
    return sample.body


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.load(response)


def _create_account(server: DevServer) -> str:
    """The CLI a first user runs: the key alone on stdout."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookline.cli",
            "account",
            "create",
            "--name",
            "Loja da Ana",
            "--url",
            server.base,
        ],
        env={**os.environ, "HOOKLINE_ADMIN_TOKEN": server.admin_token},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = out.stdout.strip()
    assert key.startswith("hk_") and "\n" not in key, out
    assert "sign in at" in out.stderr
    return key


def _until(page: Any, check: Callable[[], bool], timeout: float = 45.0) -> None:
    """Reload the page until ``check`` holds (the pipeline is asynchronous)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out on {page.url}"
        time.sleep(0.7)
        page.reload()


def _map_by_clicking(page: Any, **paths: str) -> None:
    """Evento, Nome and Telefone: click the field, then the path in the data structure."""
    from playwright.sync_api import expect

    for key, label in (("event", "Evento"), ("name", "Nome"), ("phone", "Telefone")):
        field = page.get_by_role("textbox", name=label, exact=True)
        field.fill("")
        field.click()
        page.locator(f'button[data-path="{paths[key]}"]').click()
        expect(field).to_have_value(paths[key])


def test_the_whole_flow_in_the_browser(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    body = _sample()
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = DevServer(tmp_path / "dev")
    server.start()
    started = time.monotonic()
    try:
        assert any(line.startswith("hookline dev: console") for line in server.output)
        key = _create_account(server)
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
            context.set_default_timeout(15_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def shot(name: str) -> None:
                page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

            # sign in with the API key (the key never appears in a URL)
            page.goto(server.base + "/")
            expect(page).to_have_url(re.compile(r"/login$"))
            page.get_by_label("Chave de API da conta").fill(key)
            shot("01-entrar")
            page.get_by_role("button", name="Entrar").click()
            expect(page.get_by_role("heading", name="Integrações")).to_be_visible()
            assert key not in page.url

            # 2. + Nova Integração -> URL with Copiar and Hotmart's instructions
            page.get_by_role("link", name="+ Nova Integração").click()
            page.get_by_label("Nome da integração").fill("Hotmart")
            page.get_by_label("Plataforma").select_option("hotmart")
            shot("02-nova-integracao")
            page.get_by_role("button", name="Continuar").click()
            url = page.get_by_label("Cole esta URL na plataforma").input_value()
            assert url.startswith(server.base + "/hooks/")
            expect(page.get_by_text("Hotmart: Ferramentas")).to_be_visible()
            page.get_by_role("button", name="Copiar").click()
            expect(page.get_by_text("URL copiada!")).to_be_visible()
            assert page.evaluate("navigator.clipboard.readText()") == url
            shot("03-url")
            page.get_by_role("link", name="Continuar").click()

            # 3. nothing arrived yet: said so; then the real sample arrives
            expect(page.get_by_text("Nenhum webhook chegou ainda.")).to_be_visible()
            _post(url, body)
            _until(page, lambda: page.locator("button[data-path]").count() > 0)

            # map by clicking the data structure, with the live preview
            _map_by_clicking(page, event="event", name="data.buyer.name",
                             phone="data.buyer.checkout_phone")  # fmt: skip
            preview = page.locator("[data-preview-out]")
            expect(preview.locator('[data-k="phone"]')).to_have_text(PHONE)
            expect(preview.locator('[data-k="event"]')).to_have_text("PURCHASE_CANCELED")
            page.get_by_role("button", name="+ adicionar campos").click()
            row = page.locator("[data-field-rows] .field-row").last
            row.get_by_label("Nome do campo").fill("produto")
            row.get_by_label("Lido de").click()
            page.locator('button[data-path="data.product.name"]').click()
            expect(row.get_by_label("Lido de")).to_have_value("data.product.name")
            expect(preview.locator('[data-k="fields"]')).to_contain_text("produto: Produto")
            # + Criar campo personalizado -> Criar (without leaving the page)
            page.get_by_text("+ Criar campo personalizado").click()
            page.locator("#cf-name").fill("produto")
            page.locator("#cf-desc").fill("último produto comprado")
            page.get_by_role("button", name="Criar", exact=True).click()
            expect(page.get_by_text("Campo criado: produto")).to_be_visible()
            shot("04-mapeamento")
            page.get_by_role("button", name="Concluir").click()
            expect(page.get_by_text("Mapeamento salvo.")).to_be_visible()
            shot("05-mapeamento-salvo")
            page.get_by_role("link", name="Fechar").click()

            # 1. the list, with its ⋮ menu
            expect(page.get_by_role("link", name="Hotmart", exact=True)).to_be_visible()
            page.locator("details.menu summary").first.click()
            shot("06-integracoes-menu")
            page.get_by_role("link", name="Notificações de conversão").click()

            # 6. an event from the platform's catalogue (pt-BR labels), then its actions
            page.get_by_label("Identificação (eventos da plataforma)").select_option(
                "PURCHASE_CANCELED"
            )
            page.get_by_role("button", name="Criar evento").click()
            expect(page.get_by_role("heading", name=re.compile("Configurar ações"))).to_be_visible()
            kind = page.get_by_label("Tipo de ação")
            kind.select_option("add_tag")
            page.locator("#add_tag-tag").fill("compra-cancelada")
            page.get_by_role("button", name="Salvar").click()
            kind.select_option("update_field")
            page.locator("#update_field-field").select_option("produto")
            page.locator("#update_field-value").fill("{{ fields.produto }}")
            page.get_by_role("button", name="Salvar").click()
            kind.select_option("send_message")
            message = page.locator("#send_message-text")
            message.fill("Oi ")
            page.locator('button[data-for="send_message-text"][data-var="{{first_name}}"]').click()
            message.press("End")
            message.type(", sua compra de {{fields.produto}} foi cancelada.")
            expect(page.locator('[data-template-out="send_message-text"]')).to_contain_text(
                "sua compra de Produto"
            )
            shot("07-nova-acao")
            page.get_by_role("button", name="Salvar").click()
            # one send action: the other sends cannot be picked, and the page says why
            expect(page.locator('option[value="send_chatbot"]')).to_be_disabled()
            expect(page.get_by_text("Cada evento tem no máximo um envio")).to_be_visible()
            expect(page.locator("ol.actions-list > li")).to_have_count(3)
            shot("08-acoes")

            # a second purchase cancelled: the lead gets the tag, the field and the message
            _post(url, {**body, "id": "console-e2e-2"})
            page.get_by_role("link", name="Leads").click()
            page.get_by_label("Telefone (com DDI)").fill(PHONE)
            page.get_by_role("button", name="Buscar").click()
            _until(page, lambda: page.locator(".bubble").count() > 0)
            expect(page.locator(".bubble")).to_contain_text("sua compra de Produto")
            expect(page.get_by_text("compra-cancelada")).to_be_visible()
            shot("09-lead")

            # 4. Visualizar: history with filters, one webhook's payload and actions
            page.get_by_role("link", name="Integrações").click()
            page.get_by_role("link", name="Hotmart", exact=True).click()
            page.get_by_label("Status").select_option("matched")
            page.get_by_role("button", name="Filtrar").click()
            _until(page, lambda: page.locator("table.list tbody tr").count() >= 1)
            shot("10-visualizar")
            page.locator("table.list tbody tr a").first.click()
            expect(page.locator("pre.raw").first).to_contain_text("PURCHASE_CANCELED")
            for label in (
                "Adicionar etiqueta",
                "Atualizar campo personalizado",
                "Mensagem personalizada",
            ):
                expect(page.get_by_role("listitem").filter(has_text=label)).to_be_visible()
            shot("11-webhook")

            # 5. Editar and Mapeamento -> Mapear Campos
            page.goto(server.base + "/integrations")
            page.locator("details.menu summary").first.click()
            page.get_by_role("link", name="Editar").click()
            page.get_by_label("Nome da integração").fill("Hotmart Loja")
            page.get_by_role("button", name="Salvar").click()
            expect(page.get_by_role("link", name="Hotmart Loja")).to_be_visible()
            page.locator("details.menu summary").first.click()
            page.get_by_role("link", name="Mapeamento").click()
            page.get_by_role("link", name="Mapear Campos").click()
            name = page.get_by_role("textbox", name="Nome", exact=True)
            name.click()
            page.locator('button[data-path="data.buyer.first_name"]').click()
            expect(page.locator('[data-preview-out] [data-k="name"]')).not_to_have_text("—")
            page.get_by_role("button", name="Concluir").click()
            expect(page.get_by_role("cell", name="data.buyer.first_name")).to_be_visible()

            # 4. a webhook that failed (no mapping yet: another platform) is processed again
            # once mapped: Reprocessar
            page.goto(server.base + "/integrations/new")
            page.get_by_label("Nome da integração").fill("Loja própria")
            page.get_by_label("Plataforma").select_option("generic")
            page.get_by_role("button", name="Continuar").click()
            other_url = page.get_by_label("Cole esta URL na plataforma").input_value()
            _post(
                other_url, {"type": "compra", "cliente": {"nome": "Ana", "fone": "5511988887777"}}
            )
            page.get_by_role("link", name="Continuar").click()
            mapping_url = page.url
            page.goto(mapping_url.replace("/mapping/edit?new=1", ""))
            _until(page, lambda: page.get_by_role("button", name="Reprocessar todos").count() > 0)
            shot("15-falha")
            page.goto(mapping_url)
            _until(page, lambda: page.locator("button[data-path]").count() > 0)
            _map_by_clicking(page, event="type", name="cliente.nome", phone="cliente.fone")
            expect(page.locator('[data-preview-out] [data-k="phone"]')).to_have_text(
                "+5511988887777"
            )
            page.get_by_role("button", name="Concluir").click()
            page.goto(mapping_url.replace("/mapping/edit?new=1", ""))
            page.get_by_role("button", name="Reprocessar todos").click()
            expect(page.get_by_text("1 webhooks reenviados ao processamento.")).to_be_visible()
            _until(page, lambda: page.get_by_text("Nenhuma falha pendente.").count() > 0)
            expect(page.locator("table.list tbody tr").first).to_contain_text("+5511988887777")

            # 7. account objects: a quick reply, then the message channel and the plan
            page.get_by_role("link", name="Respostas rápidas").click()
            page.get_by_label("Nome").fill("Recuperar compra")
            page.get_by_label("Texto").fill("Oi {{first_name}}, quer tentar de novo?")
            page.get_by_label("Botão 1").fill("Sim")
            page.get_by_label("Botão 2").fill("Não")
            page.get_by_role("button", name="Criar", exact=True).click()
            expect(page.get_by_role("cell", name="Recuperar compra", exact=True)).to_be_visible()
            shot("14-respostas-rapidas")
            page.get_by_role("link", name="Canal de mensagens").click()
            expect(page.locator("strong", has_text="recording")).to_be_visible()
            page.get_by_role("link", name="Plano").click()
            expect(page.get_by_text("Este plano inclui integrações por webhook.")).to_be_visible()

            # English, and a phone-sized screen
            page.get_by_label("Idioma").select_option("en")
            expect(page.get_by_text("This plan includes webhook integrations.")).to_be_visible()
            expect(page.get_by_role("link", name="Integrations")).to_be_visible()
            page.get_by_label("Language").select_option("pt-BR")
            expect(page.get_by_role("link", name="Integrações")).to_be_visible()
            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, storage_state=context.storage_state()
            )
            small = phone.new_page()
            small.goto(server.base + "/integrations")
            expect(small.get_by_role("link", name="Hotmart Loja")).to_be_visible()
            small.screenshot(path=str(SHOTS / "12-celular.png"), full_page=True)
            phone.close()

            # Excluir, with a confirmation naming what goes
            page.goto(server.base + "/integrations")
            row = page.get_by_role("row").filter(has_text="Hotmart Loja")
            row.locator("details.menu summary").click()
            row.get_by_role("link", name="Excluir").click()
            expect(page.get_by_text("1 eventos de conversão e 3 ações")).to_be_visible()
            shot("13-excluir")
            page.get_by_role("button", name="Excluir Hotmart Loja").click()
            expect(page.get_by_role("link", name="Hotmart Loja")).to_have_count(0)
            expect(page.get_by_role("link", name="Loja própria")).to_be_visible()

            # sign out: the console is closed again
            page.get_by_role("button", name="Sair").click()
            expect(page).to_have_url(re.compile(r"/login$"))
            page.goto(server.base + "/integrations")
            expect(page).to_have_url(re.compile(r"/login$"))
            assert errors == []
            context.close()
        print(f"console flow: {time.monotonic() - started:.1f} s in the browser")
    except BaseException as exc:
        exc.add_note(server.log_tail(80))
        raise
    finally:
        assert server.stop() == 0, server.log_tail()
    # no key in any log line
    logs = "".join(p.read_text() for p in (tmp_path / "dev").glob("*.log"))
    assert key not in logs
