"""schemas/mapping.py: the calls that fail on every body, found without one."""

from __future__ import annotations

import jmespath
import jmespath.exceptions
import pytest

from platforms import all_presets
from schemas.config import IntegrationMapping
from schemas.mapping import FUNCTIONS, Mapping, function_problems
from schemas.topics import CONFIG

#: Expressions jmespath refuses on any body, with what the check says of them.
BROKEN = {
    "foo(bar)": ["unknown function foo() (did you mean floor()?)"],
    "lenght(name)": ["unknown function lenght() (did you mean length()?)"],
    # nothing close: the functions there are
    "qqq(a)": [f"unknown function qqq() (functions: {', '.join(FUNCTIONS)})"],
    "join(a)": ["join() takes 2 arguments, got 1"],
    "to_string(a, b)": ["to_string() takes 1 argument, got 2"],
    "merge()": ["merge() takes at least 1 argument, got 0"],
    "not_null()": ["not_null() takes at least 1 argument, got 0"],
    "map(name, items)": ["map() takes an expression reference (&...) as argument 1"],
    "sort_by(items, name)": ["sort_by() takes an expression reference (&...) as argument 2"],
    "length(&name)": [
        "an expression reference (&...) is an argument of map(), max_by(), min_by(),"
        " sort_by(), not a value"
    ],
    # wherever the call is: in a filter, a multi-select, a pipe, a chain's guard
    "items[?foo(@)]": ["unknown function foo() (did you mean floor()?)"],
    "{a: upper(name)}": [f"unknown function upper() (functions: {', '.join(FUNCTIONS)})"],
    "data | [join(x), foo(y)]": [
        "join() takes 2 arguments, got 1",
        "unknown function foo() (did you mean floor()?)",
    ],
    "type == 'x' && join('.', ['a', lower(b)])": [
        "unknown function lower() (did you mean floor()?)"
    ],
}

FINE = [
    "data.buyer.name",
    "join('', [ddd, number])",
    "join(' ', [first_name, last_name])",
    "not_null(a, b, c)",
    "merge(a, b)",
    "map(&name, items)",
    "sort_by(items, &price)[0].name",
    "max_by(items, &price).name",
    "type == 'invoice' && trans_status && join('.', ['invoice', to_string(trans_status)])",
    "contains(tags, 'vip') && email",
    "length(items) > `0` && items[0].sku",
    '"contact[email]"',
    "a[1:2]",
]


@pytest.mark.parametrize(("expression", "problems"), BROKEN.items())
def test_calls_that_fail_on_every_body_are_named(expression: str, problems: list[str]) -> None:
    assert function_problems(expression) == problems


@pytest.mark.parametrize("expression", BROKEN)
def test_what_is_named_is_what_jmespath_refuses_at_run_time(expression: str) -> None:
    # The check agrees with jmespath: each of these fails on a body that has every value.
    body = {"bar": 1, "name": "Ana", "items": [{"name": "x"}], "a": "1", "b": "2", "x": "3"}
    body |= {"data": {"x": "1", "y": "2"}, "type": "x", "y": "4"}
    with pytest.raises(jmespath.exceptions.JMESPathError):
        jmespath.search(expression, body)


@pytest.mark.parametrize("expression", FINE)
def test_valid_calls_pass(expression: str) -> None:
    assert function_problems(expression) == []


def test_an_expression_that_does_not_compile_is_still_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid jmespath expression"):
        function_problems("buyer.phone[")


def test_the_functions_are_jmespaths_own() -> None:
    assert set(FUNCTIONS) == set(jmespath.functions.Functions.FUNCTION_TABLE)
    assert {"join", "to_string", "not_null", "map", "sort_by"} <= set(FUNCTIONS)


def test_broken_sources_name_the_field_and_the_expression() -> None:
    mapping = Mapping.model_validate(
        {
            "event": {"header": "X-Event"},
            "name": ["data.buyer.name", "lenght(data.user)"],
            "phone": "join(ddd)",
            "fields": {"product": "product.name", "total": "summ(items)"},
        }
    )
    assert mapping.broken_sources() == [
        ("name", "'lenght(data.user)': unknown function lenght() (did you mean length()?)"),
        ("phone", "'join(ddd)': join() takes 2 arguments, got 1"),
        ("fields.total", "'summ(items)': unknown function summ() (did you mean sum()?)"),
    ]
    assert list(mapping.sources()) == ["event", "name", "phone", "fields.product", "fields.total"]


def test_a_mapping_saved_before_the_check_still_loads() -> None:
    # The check is asked on save; loading (config records, mapping files) never refuses.
    old = {"event": "foo(event)", "name": "name", "phone": "phone", "fields": {"x": "join(a)"}}
    assert Mapping.model_validate(old).broken_sources()
    record = IntegrationMapping(id="int_1", account_id="acc_1", mapping=Mapping.model_validate(old))
    assert CONFIG.decode(CONFIG.encode(record)) == record  # what the config view reads


def test_every_presets_mapping_passes_the_check() -> None:
    # A preset's mapping is saved when an integration is created: checked as a save is
    # (platforms.register refuses one that fails).
    for preset in all_presets():
        if preset.mapping is not None:
            assert preset.mapping.broken_sources() == [], preset.id
