from streams.templates import render


def test_placeholders_render_from_context() -> None:
    context = {"name": "Ana", "fields": {"product": "Curso", "price": 10.5}, "event": None}
    assert (
        render("Oi {{name}}, {{ fields.product }} ({{fields.price}})", context)
        == "Oi Ana, Curso (10.5)"
    )


def test_missing_values_render_empty_and_text_without_placeholders_is_kept() -> None:
    assert render("{{fields.nope}}|{{event}}|{{a.b.c}}", {"event": None}) == "||"
    assert render("no {placeholders} here", {}) == "no {placeholders} here"
