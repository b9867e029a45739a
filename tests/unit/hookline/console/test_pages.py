"""The console's pure parts: mapping sources as typed in forms, the structure tree, the
translations and the size of what a page loads."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from hookline.console import pages
from hookline.console.i18n import translator
from schemas.mapping import HeaderSource

CONSOLE = Path(pages.__file__).parent


def test_sources_round_trip_through_the_form() -> None:
    assert pages.source_text("data.buyer.name") == "data.buyer.name"
    header = HeaderSource(header="X-Shopify-Topic")
    assert pages.source_value(pages.source_text(header)) == {"header": "X-Shopify-Topic"}
    chain = ("data.buyer.phone", HeaderSource(header="X-Phone"))
    assert pages.source_value(pages.source_text(chain)) == [
        "data.buyer.phone",
        {"header": "X-Phone"},
    ]
    assert pages.source_value(" [not json ") == "[not json"


def test_the_mapping_form_becomes_the_api_body() -> None:
    body = pages.mapping_form(
        {
            "event": "event",
            "name": "data.buyer.name",
            "phone": '["data.a", "data.b"]',
            "field_name": ["produto", "", "email"],
            "field_source": ["data.product.name", "data.x", " "],
            "default_region": "",
        }
    )
    assert body == {
        "event": "event",
        "name": "data.buyer.name",
        "phone": ["data.a", "data.b"],
        "fields": {"produto": "data.product.name"},
        "default_region": "BR",
    }


def test_the_structure_becomes_a_tree_in_document_order() -> None:
    path = lambda p, parent: SimpleNamespace(  # noqa: E731
        path=p, parent=parent, types=["string"], example="x", frequency=1.0
    )
    structure = SimpleNamespace(
        paths=[
            path("data", ""),
            path("data.buyer", "data"),
            path("data.buyer.name", "data.buyer"),
            path("items[]", ""),
            path("items[].sku", "items[]"),
            path("event", ""),
        ]
    )
    roots = pages.tree(structure)
    assert [n["path"] for n in roots] == ["data", "items[]", "event"]
    assert roots[0]["children"][0]["children"][0]["name"] == "name"
    assert roots[1]["children"][0]["name"] == "sku"
    assert pages.tree(None) == []


def test_every_label_of_the_pages_has_an_english_text() -> None:
    en = translator("en")
    found = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        found |= set(re.findall(r'\bt\("([^"]+)"', template.read_text()))
        found |= set(re.findall(r"\bt\('([^']+)'", template.read_text()))
    missing = sorted(
        text
        for text in found
        if en(text) == text
        and not text.isupper()
        and text not in {"URL", "Status", "Leads", "Webhook"}
    )
    assert missing == []


def test_no_page_loads_more_than_100_kb_of_script() -> None:
    scripts = list((CONSOLE / "static").glob("*.js"))
    assert scripts and sum(p.stat().st_size for p in scripts) < 100 * 1024
    base = (CONSOLE / "templates" / "base.html").read_text()
    assert re.findall(r'<script[^>]*src="([^"]+)"', base) == ["/static/console.js"]
    for template in (CONSOLE / "templates").glob("*.html"):
        assert "<script" not in template.read_text() or template.name == "base.html"
