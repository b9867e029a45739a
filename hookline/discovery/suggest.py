"""Propose a mapping from a :class:`~hookline.discovery.structure.Structure`.

Pure heuristics, in three layers:

1. **key names** in pt-BR and English (``telefone``, ``celular``, ``whatsapp``, ``nome``,
   ``first_name``, ``email``, ``evento``, ``type``, ``status``, ``cpf``, ...), split into
   tokens so ``checkout_phone``, ``dddCell`` and ``SmsStatus`` are understood;
2. **context**: the keys above a value (``buyer``/``cliente`` raise a person field,
   ``producer``/``afiliado``/``product`` lower it) and how deep it sits;
3. **value shapes**: e-mails, phone-like digit strings, E.164, UPPER_SNAKE or dotted
   event codes, CPF/CNPJ-length digit strings.

Form builders are read by their **labels**: a value whose sibling says what it is
(Elementor's ``fields[f3][value]`` beside ``fields[f3][title] = "Whatsapp"`` and
``fields[f3][type] = "tel"``) is scored by that label and type, not by its key; an answer
item of an array (Typeform's ``answers[]``) is scored by its question's title and answer
type through the structure's ``labelled`` table (one filter expression per question). A
form's own name or title (``form[name]``, ``definition.title``) is never the lead's name;
it is a candidate for the event (which form converted). Values inside arrays are read
with a projection (``answers[].email | [0]``: the first item that has one).

Headers named like a topic/event (``X-Shopify-Topic``, ``X-WC-Webhook-Topic``, ...) are
event candidates too. Sibling ``first_name`` + ``last_name`` become a ``join``; sibling
``ddd`` + number (and ``ddi``) become a composite phone. When the best path is sometimes
null or absent, the next candidates are chained with ``||``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from hookline.discovery.structure import PathStats, Structure
from schemas.mapping import HeaderSource
from schemas.mapping import Mapping as LeadMapping

REQUIRED = ("event", "name", "phone")
#: Custom fields proposed besides the required three.
OPTIONAL = ("email", "document", "product", "value", "status", "transaction_id")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_EVENT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[._:/-][A-Za-z0-9]+)*$")
_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^.\[\]"]+)|(\[\])')

#: Keys above a value that say it belongs to the lead ...
_PERSON = {
    "buyer", "customer", "client", "cliente", "comprador", "contact", "contato", "subscriber",
    "assinante", "user", "usuario", "lead", "payer", "pagador", "billing", "invitee", "member",
    "aluno", "student", "sender", "cus", "consumer", "payload",
}  # fmt: skip
#: Payer blocks: the lead when no buyer/customer block says otherwise.
_PAYER = {"billing", "payer", "pagador"}
#: ... or to somebody/something else.
_OTHER = {
    "producer", "produtor", "affiliate", "affiliates", "afiliado", "afiliados", "seller",
    "vendedor", "merchant", "store", "loja", "shop", "company", "empresa", "product",
    "products", "produto", "produtos", "item", "items", "offer", "oferta", "plan", "plano",
    "coproducer", "coproducers", "commission", "commissions", "comissoes", "support",
    "owner", "organization", "account", "admin", "recipient", "to", "utm", "tracking",
    "shipping", "carrier", "refund", "refunds", "line", "lines",
}  # fmt: skip
#: Keys naming a form itself: its name or title is the form's, never the lead's.
_FORM = {"form", "forms", "formulario", "definition", "page", "meta"}
#: Keys holding a form's answers: a ``type`` there is a question's type, not an event.
_ANSWERS = {"fields", "field", "answers", "answer", "respostas", "questions", "responses"}
#: Keys of a form field that hold the answer; its sibling title/label says what it is.
_VALUE_KEYS = {"value", "rawvalue", "answer", "resposta", "valor"}
_LABEL_KEYS = {"title", "label", "question", "pergunta"}
#: Keys that only identify a form field: Gravity Forms' "3" or "1.3", "field_6345493".
_ID_KEY = re.compile(r"^(?:\d+(?:\.\d+)?|(?:field|input|campo|q)[_-]?[0-9a-f]*\d[0-9a-f]*)$", re.I)


class FieldSuggestion(BaseModel):
    """One proposed source with how sure the heuristics are and why."""

    source: str | HeaderSource
    confidence: float = Field(ge=0, le=1)
    reason: str
    example: Any = None


class IncompleteSuggestionError(ValueError):
    """Raised by :meth:`Suggestion.to_mapping` when a required field has no candidate."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"no candidate for required field(s): {', '.join(missing)}")
        self.missing = missing


class Suggestion(BaseModel):
    event: FieldSuggestion | None = None
    name: FieldSuggestion | None = None
    phone: FieldSuggestion | None = None
    #: email, document, product, value, status, transaction_id when found.
    fields: dict[str, FieldSuggestion] = Field(default_factory=dict)
    #: Required fields (event, name, phone) with no candidate.
    missing: list[str] = Field(default_factory=list)
    #: Runners-up per target, best first, for the console to offer.
    alternatives: dict[str, list[FieldSuggestion]] = Field(default_factory=dict)

    def to_mapping(self, default_region: str = "BR") -> LeadMapping:
        if self.missing:
            raise IncompleteSuggestionError(list(self.missing))
        assert self.event and self.name and self.phone
        return LeadMapping(
            event=self.event.source,
            name=self.name.source,
            phone=self.phone.source,
            fields={name: found.source for name, found in self.fields.items()},
            default_region=default_region,
        )


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class _Path:
    expr: str  # jmespath, arrays as [0]
    keys: tuple[str, ...]  # semantic keys, bracketed form keys split: contact[email] -> 2
    depth: int
    in_array: bool
    stats: PathStats
    #: The last key split into lower-case tokens: dddCell -> (ddd, cell).
    tokens: tuple[str, ...]
    #: Every token of the keys above the value.
    context_words: frozenset[str]

    @property
    def key(self) -> str:
        return self.keys[-1] if self.keys else ""

    @property
    def context(self) -> tuple[str, ...]:
        return self.keys[:-1]

    @property
    def whole(self) -> str:
        """The last key normalised: checkout_phone -> checkoutphone."""
        return "".join(self.tokens)


def _tokens(key: str) -> list[str]:
    if not re.fullmatch(r"[A-Za-z0-9_]*", key):
        # A label used as a key ("Seu WhatsApp", "E-mail", "Endereço de e-mail"): its words.
        return list(_words(key))
    return [t.lower() for t in _CAMEL.findall(key)]


def _parse(path: str, stats: PathStats) -> _Path:
    keys: list[str] = []
    in_array = False
    for quoted, bare, array in _SEGMENT.findall(path):
        if array:
            in_array = True
            continue
        raw = quoted.replace('\\"', '"') if quoted else bare
        keys.extend(part for part in re.split(r"[\[\]]+", raw) if part)
    tokens = tuple(_tokens(keys[-1])) if keys else ()
    context_words = frozenset(t for key in keys[:-1] for t in _tokens(key))
    # In an array, the first item that has the value (answers[].email | [0]), not item 0.
    expr = f"({path} | [0])" if in_array else path
    return _Path(expr, tuple(keys), len(keys) - 1, in_array, stats, tokens, context_words)


def _words(text: str) -> tuple[str, ...]:
    """A label's words, lower-case and without accents: "Seu e-mail" -> (seu, email)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\be-mail\b", "email", plain)
    return tuple(re.findall(r"[a-z0-9]+", plain))


def _labelled_path(path: _Path, label: str, kind: str) -> _Path:
    """``path`` read by its label and declared type instead of its key."""
    words = tuple(w for w in (*_words(label), *_tokens(kind)) if w not in ("type", "text"))
    key = label or path.key
    return _Path(
        path.expr,
        (*path.context, key),
        path.depth,
        path.in_array,
        path.stats,
        words or path.tokens,
        path.context_words - _ANSWERS,
    )


def _with_labels(paths: list[_Path]) -> list[_Path]:
    """Form fields whose sibling title/label (and type) says what the value is."""
    groups: dict[tuple[str, ...], dict[str, _Path]] = {}
    for path in paths:
        groups.setdefault(path.context, {})[path.whole] = path
    out = []
    for path in paths:
        siblings = groups[path.context]
        label = next(
            (str(siblings[k].stats.example) for k in _LABEL_KEYS if k in siblings
             and isinstance(siblings[k].stats.example, str)),
            "",
        )  # fmt: skip
        if path.whole in _VALUE_KEYS and label:
            kind = siblings["type"].stats.example if "type" in siblings else ""
            parent = path.context[-1] if path.context else ""
            out.append(_labelled_path(path, f"{label} {parent}", str(kind or "")))
        else:
            out.append(path)
    return out


def _labelled(structure: Structure) -> list[_Path]:
    """The structure's labelled answer items as paths scored by their label and type."""
    out = []
    for expr, stats in structure.labelled.items():
        path_stats = PathStats(
            types=[_json_kind(stats.example)],
            example=stats.example,
            count=stats.count,
            frequency=stats.frequency,
        )
        base = _Path(f"({expr})", (), 1, False, path_stats, (), frozenset())
        value_key = expr.rsplit(".", 1)[-1].split(" ", 1)[0]
        out.append(_labelled_path(base, stats.label, f"{stats.kind} {value_key}"))
    return out


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if value is not None else "null"


def _context_factor(path: _Path, person: bool) -> tuple[float, str]:
    nearest = set(_tokens(path.context[-1])) if path.context else set()
    if person and (nearest & _FORM or set(path.tokens[:1]) & _FORM):
        return 0.15, "names the form, not the lead"
    if not person and path.context_words & _ANSWERS:
        return 0.3, "inside a form's fields (describes a question)"
    words = path.context_words | set(path.tokens[:-1])  # customer_name, product_name
    if words & _OTHER:
        hit = sorted(words & _OTHER)[0]
        return (0.35 if person else 0.6), f"under '{hit}' (not the lead)"
    if words & _PERSON:
        hit = sorted(words & _PERSON)[0]
        if not person:
            # An attribute of the person (customer.type) does not name the webhook's event.
            return 0.6, f"under '{hit}' (describes the person)"
        # The payer's block is the lead when nothing better exists, but the buyer wins.
        return (0.9 if hit in _PAYER else 1.0), f"under '{hit}'"
    if person and not path.context:
        # A top-level key describes the webhook's own subject (the order, the contact).
        return 1.0, "top-level"
    return (0.8 if person else 0.85), ""


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value)) if value is not None else ""


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class _Under:
    """Generic keys (``id``, ``name``, ``codigo``) that count for a target under some keys."""

    keys: frozenset[str]
    parents: frozenset[str]
    weight: float
    #: Only the direct parent counts (``product.name``), not any key above (``order...id``).
    nearest: bool


@dataclass(frozen=True)
class _Target:
    name: str
    keys: Mapping[str, float]  # whole normalised key or single token -> weight
    shape: Callable[[Any, PathStats], tuple[float, str]]
    person: bool
    #: Factor for how deep the value sits (0 = top level).
    depth: Callable[[int], float]
    under: _Under | None = None
    #: Context words under which the target is at home (the context factor is then 1).
    home: frozenset[str] = frozenset()
    #: Factor for a value inside an array (the mapping reads the first item only).
    array: float = 0.8


def _person_depth(depth: int) -> float:
    return 1.0 - 0.03 * depth


def _event_depth(depth: int) -> float:
    return {0: 1.0, 1: 0.7}.get(depth, 0.5)


def _record_depth(depth: int) -> float:
    return 1.0 - 0.08 * min(depth, 4)


def _any_depth(depth: int) -> float:
    return 1.0


def _shape_name(value: Any, stats: PathStats) -> tuple[float, str]:
    if value is None:
        return (0.6, "no example value") if "string" in stats.types or not stats.types else (0, "")
    if not isinstance(value, str) or not re.search(r"[^\W\d_]", value):
        return 0.0, "value is not a name"
    if _EMAIL.match(value) or value.startswith(("#", "http")):
        return 0.1, "value is not a name"
    return (1.1, "value looks like a full name") if " " in value.strip() else (0.9, "")


def _shape_phone(value: Any, stats: PathStats) -> tuple[float, str]:
    if value is None:
        return 0.6, "no example value"
    if isinstance(value, bool) or (isinstance(value, str) and _EMAIL.match(value)):
        return 0.0, ""
    text = str(value).strip()
    if _E164.match(text):
        return 1.15, "value is E.164"
    if re.search(r"[^\W\d_]", text):
        return 0.5, "value has letters"
    digits = _digits(text)
    if 8 <= len(digits) <= 15:
        return 1.05, f"value looks like a phone ({len(digits)} digits)"
    return 0.2, f"value too short/long for a phone ({len(digits)} digits)"


def _shape_email(value: Any, stats: PathStats) -> tuple[float, str]:
    if value is None:
        return 0.6, "no example value"
    if isinstance(value, str) and _EMAIL.match(value.strip()):
        return 1.1, "value is an e-mail"
    return 0.0, ""


def _shape_event(value: Any, stats: PathStats) -> tuple[float, str]:
    if value is None:
        return 0.5, "no example value"
    if isinstance(value, bool):
        return 0.0, ""
    text = str(value).strip()
    if isinstance(value, int | float) or text.isdigit():
        return 0.8, "numeric event code"
    if _UPPER_SNAKE.match(text):
        return 1.15, "value is an UPPER_SNAKE event code"
    if _EVENT_CODE.match(text) and len(text) <= 64:
        if re.search(r"[._:/-]", text):
            return 1.1, "value looks like a resource.action event code"
        return 1.0, "value looks like an event code"
    return (0.5, "value is free text") if len(text) <= 64 else (0.2, "value is long text")


def _shape_document(value: Any, stats: PathStats) -> tuple[float, str]:
    digits = _digits(value)
    if len(digits) in (11, 14):
        return 1.1, "value has CPF/CNPJ length"
    return (0.6, "") if value is None else (0.5, "")


def _shape_text(value: Any, stats: PathStats) -> tuple[float, str]:
    if isinstance(value, bool) or (value is None and stats.types == ["boolean"]):
        return 0.0, ""
    return (1.0, "") if isinstance(value, str) and value.strip() else (0.5, "")


def _shape_number(value: Any, stats: PathStats) -> tuple[float, str]:
    if isinstance(value, bool):
        return 0.0, ""
    if isinstance(value, int | float):
        if abs(value) >= 10**11:
            # More than a billion in cents: an epoch-milliseconds time or an id, not a price.
            return 0.1, "number too large for an amount"
        return 1.0, "numeric value"
    if isinstance(value, str) and re.fullmatch(r"-?\d+(?:[.,]\d+)?", value.strip()):
        return 0.95, "numeric text"
    return 0.3, ""


def _shape_any(value: Any, stats: PathStats) -> tuple[float, str]:
    return (1.0, "") if value is not None else (0.7, "")


#: ``id``/``hash``/``codigo`` count as a transaction id under these keys.
_ORDER_WORDS = frozenset(
    {"order", "purchase", "venda", "pedido", "transaction", "invoice", "fatura", "sale"}
)
#: ``name``/``title`` right under these keys is the product's name.
_PRODUCT_WORDS = frozenset({
    "product", "products", "produto", "produtos", "item", "items", "offer", "oferta", "plan",
    "plano", "course", "curso",
})  # fmt: skip

_TARGETS: dict[str, _Target] = {
    "name": _Target(
        "name",
        {
            "name": 1.0, "nome": 1.0, "fullname": 1.0, "nomecompleto": 1.0, "customername": 1.0,
            "clientname": 1.0, "buyername": 1.0, "profilename": 0.9, "displayname": 0.8,
            "firstname": 0.55, "primeironome": 0.55, "holder": 0.4,
        },
        _shape_name,
        person=True,
        depth=_person_depth,
    ),
    "phone": _Target(
        "phone",
        {
            "whatsapp": 1.0, "waid": 0.95, "celular": 0.97, "cellphone": 0.97, "mobile": 0.95,
            "mobilephone": 0.97, "phonemobile": 0.97, "cel": 0.9, "cell": 0.9, "phone": 0.88,
            "telefone": 0.88, "phonenumber": 0.9, "tel": 0.8, "fone": 0.8, "from": 0.55,
            "phone2": 0.6, "tel2": 0.6, "telefone2": 0.6, "remindernumber": 0.7,
        },
        _shape_phone,
        person=True,
        depth=_person_depth,
    ),
    "email": _Target(
        "email",
        {"email": 1.0, "mail": 0.9, "emailaddress": 1.0, "correio": 0.6},
        _shape_email,
        person=True,
        depth=_person_depth,
    ),
    "event": _Target(
        "event",
        {
            "event": 1.0, "evento": 1.0, "eventtype": 1.0, "eventname": 1.0, "topic": 1.0,
            "webhookeventtype": 1.0, "conversionidentifier": 1.0, "identificador": 0.9,
            "formname": 0.8, "formtitle": 0.8, "type": 0.85, "tipo": 0.8, "action": 0.8,
            "acao": 0.8,
            "trigger": 0.7, "status": 0.6, "act": 0.6, "state": 0.55,
        },
        _shape_event,
        person=False,
        depth=_event_depth,
        # tipoEvento.codigo, event.code: the parent names the event explicitly.
        under=_Under(
            frozenset({"codigo", "code", "id", "name"}), frozenset({"evento", "event"}), 1.0, True
        ),
    ),
    "document": _Target(
        "document",
        {
            "cpf": 1.0, "cnpj": 0.95, "cnpjcpf": 1.0, "cpfcnpj": 1.0, "document": 0.95,
            "documento": 0.95, "taxid": 0.9, "documentnumber": 0.95, "doc": 0.7,
            "taxnumber": 0.9, "identificationnumber": 0.9,
        },
        _shape_document,
        person=True,
        depth=_person_depth,
    ),
    "product": _Target(
        "product",
        {
            "productname": 1.0, "nomeproduto": 1.0, "produto": 0.8, "product": 0.8,
            "offername": 0.7, "title": 0.6, "planname": 0.6,
        },
        _shape_text,
        person=False,
        depth=_any_depth,
        # product.name, produto.nome, items[].title: the parent says whose name it is.
        under=_Under(frozenset({"name", "nome", "title", "titulo"}), _PRODUCT_WORDS, 1.0, True),
        home=_PRODUCT_WORDS,
        array=1.0,
    ),
    "value": _Target(
        "value",
        {
            "amount": 0.9, "value": 0.85, "valor": 0.9, "price": 0.85, "preco": 0.85,
            "total": 0.9, "totalprice": 1.0, "amounttotal": 1.0, "paidamount": 1.0,
            "chargeamount": 0.95, "fullprice": 0.8, "valortotal": 1.0,
        },
        _shape_number,
        person=False,
        depth=_record_depth,
    ),
    "status": _Target(
        "status",
        {
            "status": 1.0, "orderstatus": 1.0, "paymentstatus": 0.95, "financialstatus": 0.95,
            "situacao": 0.9, "transstatus": 1.0, "smsstatus": 0.9,
        },
        _shape_any,
        person=False,
        depth=_record_depth,
    ),
    "transaction_id": _Target(
        "transaction_id",
        {
            "transaction": 1.0, "transactionid": 1.0, "orderid": 0.95, "ordernumber": 0.85,
            "transkey": 0.95, "codigovenda": 0.95, "invoiceid": 0.85, "orderhash": 0.9,
            "transactionhash": 0.9, "paymentintent": 0.7, "saleid": 0.95, "transcod": 0.9,
            "idvenda": 0.95,
        },
        _shape_any,
        person=False,
        depth=_record_depth,
        # order.id, purchase.hash, venda.codigo: any key above says it is the order's.
        under=_Under(frozenset({"id", "hash", "codigo"}), _ORDER_WORDS, 0.8, False),
    ),
}  # fmt: skip

#: Tokens of a key that make a person-field key useless (parts, flags, other people).
_PART_WORDS = {"code", "ddd", "ddi", "country", "area", "ext", "confirmation", "verified", "type"}


def _key_weight(target: _Target, path: _Path) -> tuple[float, str]:
    tokens, whole = path.tokens, path.whole
    if whole in target.keys:
        weight = target.keys[whole]
    else:
        weight = max((target.keys.get(t, 0.0) for t in tokens), default=0.0) * 0.85
    if target.person and target.name != "name" and set(tokens) & _PART_WORDS and weight:
        weight *= 0.25
    under = target.under
    if under and not weight and whole in under.keys:
        above = path.context[-1:] if under.nearest else path.context
        hit = next((k for k in reversed(above) if under.parents & set(_tokens(k))), None)
        if hit is not None:
            return under.weight, f"key '{path.key}' under '{hit}'"
    if not weight and target.name in ("phone", "email") and _ID_KEY.match(path.key):
        # A key that is only an id (Gravity Forms' "3", "field_6345493"): the value decides.
        shape, _ = target.shape(path.stats.example, path.stats)
        if shape >= 1.0:
            return 0.5, f"key '{path.key}' is an id; the value looks like a {target.name}"
    if target.name == "event" and not weight and whole in ("name", "title", "id"):
        nearest = set(_tokens(path.context[-1])) if path.context else set()
        if nearest & {"form", "formulario"}:
            return (0.8 if whole != "id" else 0.35), f"the form's {path.key} (which form converted)"
    if target.name == "phone" and not weight and _E164.match(str(path.stats.example or "")):
        # Weaker than any phone-named key; never a recipient ("To", "recipient").
        if not set(tokens) & _OTHER:
            return 0.45, f"key '{path.key}' holds an E.164 number"
    return weight, f"key '{path.key}'" if weight else ""


@dataclass
class _Candidate:
    source: str | HeaderSource
    score: float
    reason: str
    example: Any
    nullable: bool
    path: _Path | None = None


def _score(target: _Target, path: _Path) -> _Candidate | None:
    weight, why_key = _key_weight(target, path)
    if not weight:
        return None
    if path.context_words & target.home:
        context, why_context = 1.0, ""
    else:
        context, why_context = _context_factor(path, target.person)
    shape, why_shape = target.shape(path.stats.example, path.stats)
    if not shape:
        return None
    depth = target.depth(path.depth)
    array = target.array if path.in_array else 1.0
    frequency = 0.5 + 0.5 * path.stats.frequency
    score = weight * context * shape * depth * array * frequency
    reasons = [r for r in (why_key, why_context, why_shape) if r]
    reasons.append(f"seen in {path.stats.frequency:.0%} of payloads")
    return _Candidate(
        source=path.expr,
        score=score,
        reason=", ".join(reasons),
        example=path.stats.example,
        nullable="null" in path.stats.types or path.stats.frequency < 1,
        path=path,
    )


# --------------------------------------------------------------------------- composites


_FIRST = {"firstname", "primeironome", "first"}
_LAST = {"lastname", "sobrenome", "ultimonome", "last", "surname"}
_DDD = {"ddd", "areacode", "codigoarea"}
_DDI = {"ddi", "countrycode", "codigopais"}
_NUMBER = {"number", "numero", "phone", "telefone", "cell", "celular", "mobile"}


def _siblings(paths: list[_Path]) -> dict[tuple[str, ...], dict[str, _Path]]:
    groups: dict[tuple[str, ...], dict[str, _Path]] = {}
    for path in paths:
        groups.setdefault(path.context, {})[path.whole] = path
    return groups


def _composite_names(paths: list[_Path]) -> list[_Candidate]:
    out = []
    for members in _siblings(paths).values():
        first = next((members[k] for k in members if k in _FIRST), None)
        last = next((members[k] for k in members if k in _LAST), None)
        if not first or not last:
            continue
        context_factor, why = _context_factor(last, person=True)
        depth = _person_depth(last.depth)
        score = context_factor * 1.1 * depth * (0.5 + 0.5 * last.stats.frequency)
        expr = f"join(' ', [{first.expr}, {last.expr}][?@])"
        example = " ".join(str(p.stats.example) for p in (first, last) if p.stats.example)
        out.append(
            _Candidate(
                expr,
                score,
                ", ".join(
                    r
                    for r in (f"{first.key} + {last.key} siblings joined as a full name", why)
                    if r
                ),
                example or None,
                "null" in first.stats.types or first.stats.frequency < 1,
            )
        )
    return out


def _composite_phones(paths: list[_Path]) -> list[_Candidate]:
    out = []
    for members in _siblings(paths).values():
        for key, ddd in members.items():
            base = next((d for d in sorted(_DDD, key=len, reverse=True) if key.startswith(d)), None)
            if base is None:
                continue
            suffix = key[len(base) :]
            number = members.get(suffix) if suffix else None
            number = number or next((members[k] for k in members if k in _NUMBER), None)
            if number is None or number is ddd:
                continue
            ddi = next((members[k] for k in members if k in _DDI), None)
            parts = [p.expr for p in (ddi, ddd, number) if p is not None]
            expr = f"{number.expr} && join('', map(&to_string(@), [{', '.join(parts)}][?@]))"
            context_factor, why = _context_factor(number, person=True)
            example = "".join(str(p.stats.example or "") for p in (ddi, ddd, number) if p)
            shape, _ = _shape_phone(example or None, number.stats)
            weight = 0.95 if "cel" in suffix or "cell" in suffix or not suffix else 0.85
            score = weight * context_factor * max(shape, 0.6) * (0.5 + 0.5 * number.stats.frequency)
            reason = f"{ddd.key} + {number.key} siblings" + (f" with {ddi.key}" if ddi else "")
            out.append(
                _Candidate(
                    expr,
                    score,
                    ", ".join(r for r in (reason, why) if r),
                    example or None,
                    True,
                )
            )
    return out


# --------------------------------------------------------------------------- headers

_HEADER_EVENT = re.compile(r"(topic|event)", re.IGNORECASE)
_HEADER_NOT_EVENT = re.compile(r"(id|signature|hmac|sig|time|date|version)$", re.IGNORECASE)


def _header_events(structure: Structure, headers: Mapping[str, str] | None) -> list[_Candidate]:
    seen: dict[str, Any] = {name: stats.example for name, stats in structure.headers.items()}
    for name, value in (headers or {}).items():
        seen.setdefault(str(name).lower(), value)
    out = []
    for name, value in seen.items():
        if not _HEADER_EVENT.search(name) or _HEADER_NOT_EVENT.search(name):
            continue
        shape, why = _shape_event(value, PathStats())
        canonical = "-".join(part.capitalize() for part in name.split("-"))
        out.append(
            _Candidate(
                HeaderSource(header=canonical),
                min(1.0, 0.95 * shape),
                f"header '{canonical}' names the event" + (f", {why}" if why else ""),
                value,
                False,
            )
        )
    return out


# --------------------------------------------------------------------------- entry point


def _chain(candidates: list[_Candidate]) -> _Candidate:
    """Best candidate, followed by runners-up (``||``) while it may be null or absent."""
    best = candidates[0]
    if not best.nullable or not isinstance(best.source, str):
        return best
    chain = [best]
    for other in candidates[1:]:
        if len(chain) == 3 or other.score < 0.25 * best.score:
            break
        if isinstance(other.source, str) and other.source not in [c.source for c in chain]:
            chain.append(other)
        if not other.nullable:
            break
    if len(chain) == 1:
        return best
    expr = " || ".join(str(c.source) for c in chain)
    example = next((c.example for c in chain if c.example is not None), None)
    reason = best.reason + "; falls back to " + ", ".join(str(c.source) for c in chain[1:])
    return _Candidate(expr, best.score, reason, example, chain[-1].nullable)


def _public(candidate: _Candidate) -> FieldSuggestion:
    return FieldSuggestion(
        source=candidate.source,
        confidence=round(min(max(candidate.score, 0.0), 1.0), 3),
        reason=candidate.reason,
        example=candidate.example,
    )


def suggest_mapping(structure: Structure, headers: Mapping[str, str] | None = None) -> Suggestion:
    """Propose event, name, phone and common custom fields for payloads like ``structure``."""
    paths = [_parse(path, structure.paths[path]) for path in structure.leaf_paths()]
    paths = _with_labels(paths) + _labelled(structure)
    suggestion = Suggestion()
    for target_name in (*REQUIRED, *OPTIONAL):
        target = _TARGETS[target_name]
        candidates = [c for c in (_score(target, p) for p in paths) if c is not None]
        if target_name == "name":
            candidates += _composite_names(paths)
        elif target_name == "phone":
            candidates += _composite_phones(paths)
        elif target_name == "event":
            candidates += _header_events(structure, headers)
        candidates = [c for c in candidates if c.score >= 0.2]
        candidates.sort(key=lambda c: (-c.score, len(str(c.source))))
        if not candidates:
            if target_name in REQUIRED:
                suggestion.missing.append(target_name)
            continue
        chosen = _public(
            _chain(candidates) if target_name in ("name", "phone", "email") else candidates[0]
        )
        suggestion.alternatives[target_name] = [_public(c) for c in candidates[1:4]]
        if target_name in REQUIRED:
            setattr(suggestion, target_name, chosen)
        else:
            suggestion.fields[target_name] = chosen
    return suggestion


__all__ = [
    "FieldSuggestion",
    "IncompleteSuggestionError",
    "Suggestion",
    "suggest_mapping",
]
