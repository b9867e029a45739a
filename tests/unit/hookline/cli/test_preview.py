import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hookline.cli import cli as main

HOOKLINE = Path(sys.executable).with_name("hookline")
KEYS = ["event", "name", "phone", "phone_raw", "fields", "errors", "field_errors", "body_format"]
MAPPING = {
    "event": "event",
    "name": "data.buyer.name",
    "phone": "data.buyer.checkout_phone",
    "fields": {"email": "data.buyer.email"},
}
BODY = {
    "event": "PURCHASE_APPROVED",
    "data": {"buyer": {"name": "São João 🙂", "checkout_phone": "99999999900", "email": "a@b.c"}},
}


@pytest.fixture
def files(tmp_path):
    def write(name: str, content) -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
        return str(path)

    return write


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, ["preview", *args], input=stdin)


def test_maps_cleanly_exit_0(files):
    result = run(files("body.json", BODY), "--mapping", files("m.json", MAPPING))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == KEYS
    assert out == {
        "event": "PURCHASE_APPROVED",
        "name": "São João 🙂",
        "phone": "+5599999999900",
        "phone_raw": "99999999900",
        "fields": {"email": "a@b.c"},
        "errors": [],
        "field_errors": [],
        "body_format": "json",
    }
    assert "São João 🙂" in result.stdout  # ensure_ascii=False
    assert result.stderr == ""


def test_an_optional_fields_error_is_shown_and_exits_0(files):
    mapping = MAPPING | {"fields": {"email": "foo(data.buyer.email)"}}
    result = run(files("body.json", BODY), "--mapping", files("m.json", mapping))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["errors"], out["fields"]) == ([], {"email": None})
    assert out["field_errors"] == ["expression error in fields.email: Unknown function: foo()"]


def test_a_body_declared_json_that_does_not_parse_says_where(files):
    body = files("body.json", b'{"event": "X",, "data": {}}')
    result = run(body, "--mapping", files("m.json", MAPPING), "--content-type", "application/json")
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error.startswith("invalid JSON at byte 14 (line 1, column 15): Expecting property")


def test_maps_with_errors_exit_1(files):
    body = {"event": "X", "data": {"buyer": {"checkout_phone": "123"}}}
    result = run(files("body.json", body), "--mapping", files("m.json", MAPPING))
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["errors"] == ["missing required field: name", "invalid phone '123': too short"]
    assert (out["phone"], out["phone_raw"]) == (None, "123")


def test_unparseable_body_is_noted_on_stderr(files):
    result = run(files("body.xml", b"<order/>"), "--mapping", files("m.json", MAPPING))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["body_format"] == "xml"
    assert result.stderr.startswith("note: body read as xml: unparseable as")


def test_stdin_body_and_sniffed_form(files):
    raw = b"event=lead&data.buyer.name=Ana&phone=%2B14133881111"
    mapping = files("m.json", {"event": "event", "name": '"data.buyer.name"', "phone": "phone"})
    result = run("-", "--mapping", mapping, stdin=raw)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["body_format"], out["name"], out["phone"]) == ("form", "Ana", "+14133881111")


def test_headers_query_content_type_and_region(files):
    mapping = files(
        "m.json",
        {"event": {"header": "X-Shopify-Topic"}, "name": {"query": "who"}, "phone": "phone"},
    )
    body = files("body.txt", b"phone=(413)388-1111")
    result = run(
        body,
        "--mapping",
        mapping,
        "--content-type",
        "application/x-www-form-urlencoded",
        "--header",
        "x-shopify-topic:  orders/paid ",
        "--query",
        "who=Zo%C3%AB&who=ignored",
        "--region",
        "us",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["event"], out["name"], out["phone"]) == ("orders/paid", "Zoë", "+14133881111")


def test_content_type_header_is_used_when_no_option(files):
    result = run(
        files("body", b'{"event": "e"}'),
        "--mapping",
        files("m.json", MAPPING),
        "--header",
        "Content-Type: application/json",
    )
    assert json.loads(result.stdout)["body_format"] == "json"


def test_lone_surrogates_do_not_crash_output(files):
    body = (
        b'{"event": "e\\ud800", "data": {"buyer": {"name": "n", "checkout_phone": "11999999999"}}}'
    )
    result = run(files("body.json", body), "--mapping", files("m.json", MAPPING))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["event"] == "e\ud800"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mapping", "{m}"], "No such file"),  # FILE missing
        (["{body}"], "--mapping MAPPING.json"),
        (["{body}", "--mapping", "{missing}"], "cannot read"),
        (["{body}", "--mapping", "{not_json}"], "is not valid JSON"),
        (["{body}", "--mapping", "{bad_expr}"], "invalid jmespath expression"),
        (["{body}", "--mapping", "{bad_source}"], 'expected a jmespath expression, {"header"'),
        (["{body}", "--mapping", "{m}", "--region", "XX"], "unknown phone region 'XX'"),
        (["{body}", "--mapping", "{m}", "--header", "no colon"], "expected 'Name: value'"),
    ],
)
def test_bad_usage_exit_2(files, tmp_path, args, message):
    paths = {
        "body": files("body.json", BODY),
        "m": files("m.json", MAPPING),
        "missing": str(tmp_path / "missing.json"),
        "not_json": files("not.json", "{event: 1"),
        "bad_expr": files("bad.json", {**MAPPING, "event": "foo["}),
        "bad_source": files("src.json", {**MAPPING, "phone": {"cookie": "x"}}),
    }
    if args[0] == "--mapping":
        args = ["/no/such/body.json", *args]
    result = run(*(arg.format(**paths) for arg in args))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


# --------------------------------------------------------------------------- --platform


HOTMART = {
    "id": "e1",
    "event": "PURCHASE_APPROVED",
    "version": "2.0.0",
    "data": {
        "buyer": {"name": "Ana Souza", "checkout_phone": "11988887777", "email": "ana@x.com.br"},
        "product": {"name": "Curso"},
        "purchase": {"status": "APPROVED", "price": {"value": 97}},
    },
}


def test_platform_uses_the_preset_mapping(files):
    result = run(files("body.json", HOTMART), "--platform", "hotmart")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == KEYS
    assert (out["event"], out["name"], out["phone"]) == (
        "PURCHASE_APPROVED",
        "Ana Souza",
        "+5511988887777",
    )
    assert out["fields"]["email"] == "ana@x.com.br" and out["fields"]["product"] == "Curso"
    assert result.stderr == ""


def test_platform_with_header_event_and_region(files):
    order = {"customer": {"first_name": "Jo", "last_name": "Lee"}, "phone": "(413) 388-1111"}
    args = ["--platform", "shopify", "--header", "X-Shopify-Topic: orders/paid"]
    result = run(files("order.json", order), *args, "--region", "us")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["event"], out["name"], out["phone"]) == ("orders/paid", "Jo Lee", "+14133881111")
    result = run(files("order.json", order), *args, "--region", "XX")
    assert result.exit_code == 2 and "unknown phone region 'XX'" in result.stderr


def test_platform_maps_with_errors_and_notes_another_platform(files):
    result = run(files("body.json", HOTMART), "--platform", "eduzz")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == ["missing required field: phone"]
    assert result.stderr.startswith("note: this body looks like hotmart (")


def test_platform_without_a_mapping_suggests_suggest(files):
    result = run(files("body.json", {"store_id": 1, "event": "order/paid", "id": 2}),
                 "--platform", "nuvemshop")  # fmt: skip
    assert result.exit_code == 2 and result.stdout == ""
    assert "the Nuvemshop preset has no default mapping" in result.stderr
    assert "use --suggest" in result.stderr
    result = run(files("body.json", BODY), "--platform", "nope")
    assert result.exit_code == 2 and "'nope' is not one of" in result.stderr


# --------------------------------------------------------------------------- --suggest


def test_suggest_prints_suggestion_detection_mapping_and_lead(files):
    result = run(files("body.json", HOTMART), "--suggest")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["detected_platforms", "suggestion", "missing", "mapping", "lead"]
    assert out["detected_platforms"][0]["id"] == "hotmart"
    assert out["suggestion"]["name"]["source"] == "data.buyer.name"
    assert out["suggestion"]["email"]["example"] == "ana@x.com.br"
    for found in out["suggestion"].values():
        assert 0 < found["confidence"] <= 1 and found["reason"]
    assert out["missing"] == []
    assert out["lead"]["phone"] == "+5511988887777" and list(out["lead"]) == KEYS
    # The printed mapping is a mapping file for --mapping, giving the same lead.
    again = run(files("body.json", HOTMART), "--mapping", files("m.json", out["mapping"]))
    assert again.exit_code == 0 and json.loads(again.stdout) == out["lead"]


def test_suggest_form_body_with_header_event(files):
    raw = b"From=%2B14133881111&Body=Oi&ProfileName=Ana"
    result = run("-", "--suggest", "--header", "X-Event-Topic: message.received", stdin=raw)
    out = json.loads(result.stdout)
    assert result.exit_code == 0, out
    assert out["suggestion"]["event"]["source"] == {"header": "X-Event-Topic"}
    assert out["lead"]["event"] == "message.received" and out["lead"]["name"] == "Ana"


def test_suggest_without_a_complete_mapping_exits_1(files):
    result = run(files("body.json", {"event": "ORDER_PAID", "total": 10}), "--suggest")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["missing"] == ["name", "phone"]
    assert (out["mapping"], out["lead"]) == (None, None)
    assert out["suggestion"]["event"]["source"] == "event"


@pytest.mark.parametrize(
    "sources",
    [
        ["--mapping", "{m}", "--platform", "hotmart"],
        ["--mapping", "{m}", "--suggest"],
        ["--platform", "hotmart", "--suggest"],
        ["--mapping", "{m}", "--platform", "hotmart", "--suggest"],
    ],
)
def test_mapping_sources_are_mutually_exclusive(files, sources):
    paths = {"m": files("m.json", MAPPING)}
    result = run(files("body.json", BODY), *(arg.format(**paths) for arg in sources))
    assert result.exit_code == 2 and result.stdout == ""
    assert "are mutually exclusive: give only one" in result.stderr


def test_help_runs_as_a_real_command():
    proc = subprocess.run(
        [str(HOOKLINE), "preview", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for text in ("--mapping", "--platform", "--suggest", "--content-type", "--region", "Example"):
        assert text in proc.stdout


def test_preview_loads_neither_faust_nor_kafka(files):
    """Subcommands are imported lazily (hookline/cli/__init__.py): preview runs offline."""
    script = (
        "import sys\n"
        "from hookline.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'aiokafka', 'mode'}))\n"
    )
    body, mapping = files("body.json", BODY), files("m.json", MAPPING)
    proc = subprocess.run(
        [sys.executable, "-c", script, "preview", body, "--mapping", mapping],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.splitlines()[-1] == "[]", proc.stderr
