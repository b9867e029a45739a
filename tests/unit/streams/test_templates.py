"""Templates (streams/templates.py): what a saved template may use, how it renders, and
that a missing value stops the rendering with its name."""

from __future__ import annotations

import pytest

from core.config.state import ConfigState, secret_hash
from schemas.config import Account, CustomField, Integration, IntegrationMapping, UrlToken
from schemas.mapping import Mapping
from schemas.types import Plan
from streams import templates
from streams.mapping import MappedLead
from streams.templates import (
    FILTERS,
    MAX_OUTPUT,
    MissingValues,
    TemplateProblem,
    Variables,
    check,
    context_for,
    payload_variables,
    render,
    render_value,
    variables_for,
)

LEAD = MappedLead(
    event="PURCHASE_APPROVED",
    name="Ana  Souza",
    phone="+5511999999999",
    fields={"product": "Curso", "price": 10.5, "paid": True, "email": None, "my-field": "x"},
)
PAYLOAD = {
    "data": {
        "buyer": {"name": "Ana", "email": "", "tags": ["a", "b"]},
        "items": [{"name": "Curso"}, {"name": "Ebook"}],
        "coupon": None,
    },
    "first-name": "Ana",
}
CONTEXT = context_for(LEAD, PAYLOAD)
VARIABLES = Variables(("my-field", "paid", "price", "product"))


@pytest.mark.parametrize(
    ("template", "text"),
    [
        # placeholders saved before the engine render as they did
        ("Oi {{name}}, {{ fields.product }} ({{fields.price}})", "Oi Ana  Souza, Curso (10.5)"),
        ("{{event}} {{phone}} {{fields.paid}}", "PURCHASE_APPROVED +5511999999999 true"),
        ("{{fields.my-field}} {{ fields.my-field | upper }}", "x X"),
        ("no {placeholders} here\n", "no {placeholders} here\n"),
        # the lead, the payload, filters, conditions
        ("{{first_name}}!", "Ana!"),
        ("{{ payload.data.buyer.name }} {{ payload['first-name'] }}", "Ana Ana"),
        ("{{ payload.data.items.1.name }} {{ payload.data.items[0].name }}", "Ebook Curso"),
        ("{{ payload.data.items | map(attribute='name') | join(', ') }}", "Curso, Ebook"),
        ("{{ payload.data.buyer.tags }}", '["a", "b"]'),
        ("{{ email | default('sem e-mail') }}", "sem e-mail"),
        ("{{ payload.data.coupon | d('-') }}{{ payload.nothing.at.all | default('') }}", "-"),
        ("{% if payload.data.coupon %}cupom{% else %}sem cupom{% endif %}", "sem cupom"),
        ("{{ name | upper | truncate(6, True, '', 0) }}", "ANA  S"),
        ("{{ name | replace('', 'x') | replace('a', 'o') }}", "Ano  Souzo"),
        ("{{ 'pago' if fields.paid else 'pendente' }} {{ fields.price | int }}", "pago 10"),
    ],
)
def test_renders(template: str, text: str) -> None:
    assert check(template, VARIABLES) == [] or "{placeholders}" in template
    assert render(template, CONTEXT) == text


@pytest.mark.parametrize(
    ("template", "missing"),
    [
        ("Olá {{email}}, pagamento confirmado!", ["email"]),
        ("{{ payload.data.buyer.email }}", ["payload.data.buyer.email"]),  # blank
        ("{{ payload.data.coupon }} {{ fields.nope }}", ["payload.data.coupon", "fields.nope"]),
        ("{{ payload.data.nope.deeper }}", ["payload.data.nope.deeper"]),
        ("{{ payload.data.items.5.name }}", ["payload.data.items.5.name"]),
        ("{{ payload.data.coupon | upper }}", ["payload.data.coupon"]),
        ("{{ payload.data.coupon > 3 }}", ["payload.data.coupon"]),
        ("{{ payload.nope | join(',') }}", ["payload.nope"]),
        # the old rule for text Jinja cannot read: still, nothing missing is printed
        ("{{ name }} {% oops {{fields.nope}}", ["fields.nope"]),
    ],
)
def test_a_missing_value_stops_the_rendering_with_its_name(
    template: str, missing: list[str]
) -> None:
    with pytest.raises(MissingValues) as exc:
        render(template, CONTEXT)
    assert list(exc.value.names) == missing
    assert str(exc.value) == f"no value for {', '.join(missing)}"


def test_no_lead_name_means_no_name_nor_first_name() -> None:
    context = context_for(MappedLead(event="E", name="  ", phone="+5511999999999"), None)
    with pytest.raises(MissingValues) as exc:
        render("{{ first_name }} {{ name }} {{ payload.x }}", context)
    assert exc.value.names == ("first_name", "name", "payload.x")


def test_mappings_of_templates_name_every_missing_value() -> None:
    params = {"nome": "{{ first_name }}", "cupom": "{{ fields.coupon }}", "x": "{{ event }}"}
    with pytest.raises(MissingValues) as exc:
        render_value(params | {"y": "{{ payload.y }}"}, CONTEXT)
    assert exc.value.names == ("fields.coupon", "payload.y")
    assert render_value({"nome": "{{ first_name }}"}, CONTEXT) == {"nome": "Ana"}


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Oi {{ nome }}", "unknown variable nome"),
        ("{{ fields.produto }}", "unknown variable fields.produto"),
        ("{{ fields }}", "fields needs a name: fields.<name>"),
        ("{{ name.first }}", "name.first: name has no keys"),
        ("{{ name.__class__.__mro__ }}", "name.__class__.__mro__: name has no keys"),
        ("Oi {{ name }", "syntax error on line 1: unexpected '}'"),
        ("{% if name %}sem fim", "syntax error on line 1: Unexpected end of template."),
        ("{{ name.upper() }}", "calls (use a filter: name | upper) not allowed in templates"),
        ("{{ 'a' * 1000000000 }}", "arithmetic not allowed in templates"),
        ("{% for x in payload.items %}{{ x }}{% endfor %}", "loops ({% for %}) not allowed"),
        ("{% set x = 1 %}", "{% set %} not allowed in templates"),
        ("{% include 'x' %}", "includes not allowed in templates"),
        ("{{ payload[name] }}", "a variable's key must be written out"),
        ("{{ name | tojson }}", f"unknown filter 'tojson' (filters: {', '.join(FILTERS)})"),
        ("{{ name is callable }}", "unknown test 'callable'"),
    ],
)
def test_check_refuses(template: str, problem: str) -> None:
    (found,) = check(template, VARIABLES)
    assert found.startswith(problem), found


def test_check_accepts_every_variable_and_lists_the_valid_ones() -> None:
    template = "{{ name }}{{ first_name }}{{ phone }}{{ email }}{{ event }}{{ fields.product }}"
    assert check(template + "{{ payload.any.thing[0]['x y'] }}", VARIABLES) == []
    assert VARIABLES.names() == [
        "name",
        "first_name",
        "phone",
        "email",
        "event",
        'fields["my-field"]',
        "fields.paid",
        "fields.price",
        "fields.product",
        "payload.<path>",
    ]


def test_variables_of_an_integration_are_its_mapping_fields_and_the_custom_fields() -> None:
    state = ConfigState()
    mapping = Mapping(event="e", name="n", phone="p", fields={"product": "x", "email": "y"})
    other = Mapping(event="e", name="n", phone="p", fields={"plan": "z"})
    for record in (
        Account(id="acc_1", name="A", plan=Plan.business, api_key_hash=secret_hash("k")),
        Integration(id="int_1", account_id="acc_1", name="h", tokens=[UrlToken(hash="t")]),
        Integration(id="int_2", account_id="acc_1", name="h", tokens=[UrlToken(hash="u")]),
        IntegrationMapping(id="int_1", account_id="acc_1", mapping=mapping),
        IntegrationMapping(id="int_2", account_id="acc_1", mapping=other),
        CustomField(id="fld_1", account_id="acc_1", name="produto"),
    ):
        state.apply(record.key, record)
    assert variables_for(state, "acc_1", "int_1").fields == ("email", "product", "produto")
    # An account object (a quick reply) may be sent by any integration's actions.
    assert variables_for(state, "acc_1").fields == ("email", "plan", "product", "produto")


def test_rendering_is_bounded() -> None:
    big = context_for(LEAD, {"text": "x" * (MAX_OUTPUT // 2 + 1)})
    with pytest.raises(TemplateProblem, match="renders more than"):
        render("{{ payload.text }}{{ payload.text }}", big)
    # Text from before the engine that uses refused constructs keeps the old rule: as written.
    assert render("{{ 'a' * 1000000000 }}", CONTEXT) == "{{ 'a' * 1000000000 }}"


def test_errors_while_rendering_are_template_problems() -> None:
    with pytest.raises(TemplateProblem, match="cannot render"):
        render("{{ payload.data.buyer.name > 3 }}", CONTEXT)


def test_payload_variables_list_each_value_with_its_template_path() -> None:
    assert payload_variables(PAYLOAD) == [
        ("payload.data.buyer.name", "Ana"),
        ("payload.data.buyer.email", ""),
        ("payload.data.buyer.tags.0", "a"),
        ("payload.data.items.0.name", "Curso"),
        ("payload.data.coupon", None),
        ('payload["first-name"]', "Ana"),
    ]
    assert len(payload_variables({"a": list(range(10)), "b": dict.fromkeys("xyz")}, 2)) == 2
    for path, _ in payload_variables(PAYLOAD):
        assert check("{{ " + path + " }}", VARIABLES) == []


# -- templates that only print -------------------------------------------------------------
PRINTING = [
    "Oi {{name}}, {{ fields.product }} ({{fields.price}})",
    "{{event}} {{phone}} {{fields.paid}} {{ email }}",
    "{{fields.my-field}} {{ fields['my-field'] }}",
    "{{ payload.data.buyer }} {{ payload.data.items }} {{ payload.data.buyer.tags.1 }}",
    "{{ payload['data']['items'][0]['name'] }} {{ payload.data.items.9 }}",
    "{{ payload.data.coupon }}{{ payload.data.buyer.email }}{{ fields.nope.deeper }}",
    "{{ name.first }} {{ first_name.0 }} {{ fields.price.x }} {{ payload.data.items.x }}",
    "{{ payload }}|{{ fields }}|{{- name -}}  |\n{{ first_name }}\n",
    "{{ payload.data.items['²'] }}",  # int('²') fails: a template problem
    "sem variáveis {placeholders}\n",
    "",
]


@pytest.mark.parametrize("template", PRINTING)
@pytest.mark.parametrize("payload", [PAYLOAD, None, {"data": []}, {"text": "x" * MAX_OUTPUT}])
def test_a_template_that_only_prints_renders_as_its_jinja_template(
    template: str, payload: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Printed without Jinja's per-render setup: the same text, missing values and errors."""
    context = context_for(LEAD, payload)

    def rendered() -> object:
        templates._compiled.cache_clear()
        try:
            return render(template, context)
        except (MissingValues, TemplateProblem) as exc:
            return type(exc), str(exc)

    assert isinstance(templates._compiled(template), templates._Printing)
    printed = rendered()
    monkeypatch.setattr(templates._Printing, "of", classmethod(lambda cls, tree: None))
    assert rendered() == printed
    templates._compiled.cache_clear()


def test_templates_that_do_more_than_print_are_jinjas() -> None:
    for template in ("{{ name | upper }}", "{% if name %}x{% endif %}", "{{ foo }}", "{{ 1 }}"):
        assert not isinstance(templates._compiled(template), templates._Printing), template
