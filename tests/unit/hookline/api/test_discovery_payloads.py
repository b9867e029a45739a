"""The discovery views read history rows through hookline/api/discovery.py ``payloads``:
credential fields are masked there too, so a row written before its platform declared a
body token never shows the token as an example (structure, suggestions)."""

from __future__ import annotations

import json

from core.redact import MASK
from hookline.api.discovery import payloads, structure_out
from hookline.discovery import infer_structure, suggest_mapping


def test_body_credentials_never_appear_as_examples() -> None:
    body = {
        "chave_unica": "ffffffffffffffffffffffffffffffff",
        "hottok": "hot-secret-token",
        "api_token": "guru-account-token",
        "comprador": {"nome": "Andrea", "telefone": "31999998888"},
        "tipoEvento": {"codigo": 2},
    }
    rows = [{"parsed_json": json.dumps(body), "headers_json": "{}"}]
    sample, skipped = payloads(rows)
    assert skipped == 0
    structure = infer_structure([data for data, _ in sample])
    shown = structure_out(structure, 0).model_dump_json()
    for secret in ("ffffffffffffffffffffffffffffffff", "hot-secret-token", "guru-account-token"):
        assert secret not in shown
        assert secret not in suggest_mapping(structure).model_dump_json()
    assert {p.path: p.example for p in structure_out(structure, 0).paths}["chave_unica"] == MASK
