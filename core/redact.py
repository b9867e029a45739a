"""Every rule about credentials, in one place. Pure.

- Bodies: credential fields (``hottok``, ``token``, ...: every field a platform unit
  declares its token travels in, platforms/<id>.py) masked wherever a body is kept for
  people to read (history, the rejected-requests log).
- Headers: the usual credential headers (:data:`USUAL_CREDENTIAL_HEADERS`), the
  verifiers' own and those a platform declares are never carried at all (the full set is
  derived in ingest/envelope.py, which sees the verifiers); any other header whose name
  looks like a credential (:func:`is_credential_name`) is masked wherever headers are kept
  for people.
- Free text (log lines, exception text): webhook URL tokens, ``Authorization`` values,
  passwords in URLs and API keys (:func:`mask_log_text`).

The raw body and headers on ``hookline.webhooks`` are not masked: the body is what
signatures are verified against, and a replay maps body and headers again (a mapping may
read any header, e.g. an event name sent in ``X-Event-Key``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from platforms import credential_fields

#: Declared token fields too common as plain keys to mask at any depth in every body:
#: Eduzz's legacy alias ``origin`` would also hide VTEX's ``Origin`` block and any
#: ``origin`` key (the eduzz scheme still reads it; its value is not masked).
UNMASKED_FIELDS = frozenset({"origin"})
#: Body fields that carry a platform's static token (Hotmart ``hottok``, Ticto ``token``,
#: Eduzz legacy ``origin_secret``/``api_key``, ...), as the platform units declare them.
#: Matched case-insensitively, at any depth.
CREDENTIAL_FIELDS = frozenset(name.lower() for name in credential_fields()) - UNMASKED_FIELDS
MASK = "***"
#: Secrets shorter than this are not searched for in text (too many false hits).
MIN_SECRET_LENGTH = 6
#: Headers that carry credentials on any platform: never written to Kafka, history or logs
#: (ingest/envelope.py adds the verifiers' and the platforms' own).
USUAL_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
#: A name holding any of these (any case) names a credential: ``X-Api-Key``,
#: ``X-Auth-Token``, ``X-Hub-Signature-256``, ``Set-Cookie``, ``client_secret``...
#: Broad on purpose: masking a harmless value costs little, showing a key costs a lot.
CREDENTIAL_WORDS = (
    "token",
    "secret",
    "key",
    "signature",
    "auth",
    "password",
    "passwd",
    "cookie",
    "hmac",
    "credential",
)

_NAMES = "|".join(sorted(CREDENTIAL_FIELDS))
#: Text holding none of these (lower-cased) needs none of the patterns: every credential
#: field's name, less those holding another (``origin_secret`` holds ``secret``).
_LOWER_NAMES = tuple(
    sorted(n for n in CREDENTIAL_FIELDS if not any(o != n and o in n for o in CREDENTIAL_FIELDS))
)
_NAME = rf"(?i:{_NAMES})"
#: The characters the names start with, tried case-blind as the names are (so the long
#: s, U+017F, passes for an ``s`` in both).
_FIRST = "".join(sorted({re.escape(name[0]) for name in CREDENTIAL_FIELDS}))
#: JSON: "hottok": "value" (escaped quotes inside) or "hottok": 12345. A JSON text has a
#: quote every few characters; the look-ahead lets only those before a name's first
#: character try the names (2.3 KB body: 26 -> 12 µs).
_JSON_FIELD = re.compile(
    rf'("(?=(?i:[{_FIRST}])){_NAME}"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)'
)


@dataclass(frozen=True)
class _Form:
    """``name=value`` at the text's start, and after each of some separators (a pattern
    each). A pattern that starts with a literal character is searched for that character
    at C speed, whereas one for all, ``(?:^|&)``, is tried at every position of the text,
    as is a ``^`` given to ``sub`` (2.3 KB body: 40-54 µs, against about 1 for these)."""

    at_start: re.Pattern[str]
    after: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, separators: str, value: str) -> _Form:
        return cls(
            re.compile(rf"({_NAME}=)({value})"),
            tuple(re.compile(rf"({re.escape(sep)}{_NAME}=)({value})") for sep in separators),
        )

    def mask(self, text: str) -> str:
        if first := self.at_start.match(text):
            text = _masked_value(first) + text[first.end() :]
        for pattern in self.after:
            text = pattern.sub(_masked_value, text)
        return text


#: Form: hottok=value up to the next & (also at the start of the body).
_FORM = _Form.of("&", "[^&]*")
#: The form pattern inside JSON text (a URL's ``?token=...`` or ``&token=...`` in a string
#: value): the value ends at the string's closing quote (or an escaped one), not at the
#: text's end, which hid the rest of the body.
_FORM_IN_JSON = _Form.of("&?", r'[^&"\\]*')
#: Multipart: name="hottok" then a blank line, then the value up to the line end.
_MULTIPART = re.compile(rf'(name="{_NAME}"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)')
#: XML: <hottok>value</hottok>.
_XML = re.compile(rf"(<({_NAME})>)([^<]*)(?=</\2>)")


def _masked_json_value(match: re.Match[str]) -> str:
    return f'{match.group(1)}"{MASK}"'


def _masked_value(match: re.Match[str]) -> str:
    return match.group(1) + MASK


def mask_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with credential field values, and any of ``secrets``, replaced by ``***``."""
    text = mask_secrets(text, secrets)
    if not names_credential(text):  # most bodies
        return text
    form = _FORM_IN_JSON if text.lstrip()[:1] in ("{", "[") else _FORM
    text = form.mask(_JSON_FIELD.sub(_masked_json_value, text))
    text = _MULTIPART.sub(_masked_value, text)
    return _XML.sub(_masked_value, text)


def mask_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with any of ``secrets`` (those long enough to look for) replaced by ``***``:
    all :func:`mask_text` does to text that :func:`names_credential` clears."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


#: The names as bytes, for text past ASCII (:func:`names_credential`).
_LOWER_NAME_BYTES = tuple(name.encode() for name in _LOWER_NAMES)
#: The only characters past ASCII whose lower case holds an ASCII character: ``İ``
#: (``i̇``) and the Kelvin sign (``k``). A test checks every code point.
_LOWER_TO_ASCII = ("\u0130", "\u212a")


def names_credential(text: str) -> bool:
    """Whether ``text`` holds a credential field's name, in any case: :func:`mask_text`'s
    patterns change no text that holds none.

    Substring checks of the lower-cased text: far cheaper than a case-blind alternation.
    Lower-casing text past ASCII looks up each character (20 µs for a 4 KB body with an
    accent, most Brazilian bodies); its UTF-8 bytes lower-cased (ASCII only) say the
    same, since the names are ASCII and no other character lowers to one."""
    if text.isascii() or any(c in text for c in _LOWER_TO_ASCII):
        lowered = text.lower()
        return any(name in lowered for name in _LOWER_NAMES)
    lowered_bytes = text.encode("utf-8", "surrogatepass").lower()
    return any(name in lowered_bytes for name in _LOWER_NAME_BYTES)


def json_free_of_credentials(text: str) -> bool:
    """Whether JSON ``text`` is known, without decoding it, to decode to data with no
    credential field, and to a JSON text again (``core.jsontext.dumps``, which escapes
    as ``json.dumps`` with ``ensure_ascii=False``) naming none: :func:`mask_data`
    returns such data as is, and :func:`mask_text` does to its JSON text only what
    :func:`mask_secrets` does. False says nothing (walk the data).

    True when ``text`` names no credential and each of its ``\\uXXXX`` escapes stands
    for a printable character that is no letter or ``_`` in lower case (``\\u00e9``;
    not ``\\u0074``, a ``t``, nor a control character, written back as another
    escape). Any other escape stands for a character no name holds (``\\n``, ``\\"``) and
    is written back the same, so every run of letters of the data, and of its JSON text,
    is one of ``text``."""
    if names_credential(text):
        return False
    return "\\u" not in text or all(_inert(m[1]) for m in _UNICODE_ESCAPE.finditer(text))


_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")
_NAME_CHARACTER = re.compile("[a-z_]")


@functools.lru_cache(maxsize=1024)  # a body's escapes are mostly the same few accents
def _inert(code: str) -> bool:
    """Whether a ``\\u<code>`` escape's character can be part of no credential's name
    (in lower case: ``K``, the Kelvin sign, is a ``k``) and is written back as itself."""
    character = chr(int(code, 16))
    return character >= " " and _NAME_CHARACTER.search(character.lower()) is None


def mask_data(data: Any) -> Any:
    """Parsed body data with credential fields' values masked, at any depth. Copied
    only where something is masked: data without credentials comes back as is (shared,
    so callers never change what they get).

    Only dicts and lists are entered: a call for each string and number of a body
    was most of the walk (Shopify's 9 KB order: 83 µs)."""
    if isinstance(data, dict):
        masked: dict[Any, Any] | None = None
        for key, value in data.items():
            if isinstance(key, str) and key.lower() in CREDENTIAL_FIELDS:
                new = MASK
            elif isinstance(value, _CONTAINERS):
                new = mask_data(value)
            else:
                continue
            if new is not value:
                masked = masked if masked is not None else dict(data)
                masked[key] = new
        return data if masked is None else masked
    if isinstance(data, list):
        items = None
        for index, item in enumerate(data):
            if isinstance(item, _CONTAINERS) and (new := mask_data(item)) is not item:
                items = items if items is not None else list(data)
                items[index] = new
        return data if items is None else items
    return data


_CONTAINERS = (dict, list)


_CREDENTIAL_WORD = re.compile("|".join(CREDENTIAL_WORDS))


@functools.lru_cache(maxsize=4096)  # names repeat: every log line has the same few
def is_credential_name(name: str) -> bool:
    """Whether a header, field or log attribute named ``name`` carries a credential."""
    return _CREDENTIAL_WORD.search(name.lower()) is not None


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the value of every credential-named header masked
    (the name stays: it tells a reader which header the platform sent)."""
    return {name: MASK if is_credential_name(name) else value for name, value in headers.items()}


#: (what lower-cased text must contain for the pattern to apply, None: a credential word;
#: the pattern; its replacement). Log lines are many and mostly ids and numbers: a
#: pattern runs only where its trigger is, and case-insensitive scans are avoided.
_LOG_PATTERNS = (
    # The token of a webhook URL, however mangled the rest of the request line is
    # (aiohttp quotes it, ``\x7f`` and all, in InvalidURLError); not the route template.
    ("/hooks/", re.compile(r"(/hooks/)(?!\{token\})[^\s'\"?#<>]+", re.I), rf"\g<1>{MASK}"),
    # Authorization values: "Bearer hk_...", "Basic dXNlcjpwYXNz" (not "basic plan").
    ("bearer", re.compile(r"\b(Bearer)\s+[\w.~+/=-]+", re.I), rf"\g<1> {MASK}"),
    ("basic", re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]{8,}=*", re.I), rf"\g<1> {MASK}"),
    # A password in a URL: http://user:pass@host (ClickHouse DSN, broker URLs).
    ("://", re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), rf"\g<1>{MASK}@"),
    # Account API keys (hookline/api/accounts.py) wherever they appear.
    ("hk_", re.compile(r"\bhk_[\w-]{8,}"), f"hk_{MASK}"),
    # A quoted credential-named field and its quoted value, as JSON or a Python repr
    # prints it (a validation error quoting a config record): 'secret': '...'.
    (
        None,
        re.compile(
            rf"""(["'][^"'\s]*(?i:{_CREDENTIAL_WORD.pattern})[^"'\s]*["']\s*[:=]\s*)"""
            r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
        ),
        lambda m: f"{m.group(1)}{m.group(2)[0]}{MASK}{m.group(2)[0]}",  # same quotes
    ),
)


def mask_log_text(text: str) -> str:
    """``text`` with anything credential-like masked: what a log line may never show."""
    lowered = text.lower()
    credential_word = _CREDENTIAL_WORD.search(lowered) is not None
    for trigger, pattern, replacement in _LOG_PATTERNS:
        if trigger in lowered if trigger else credential_word:
            text = pattern.sub(replacement, text)
    if any(field in lowered for field in CREDENTIAL_FIELDS):  # body fields quoted in text
        text = mask_text(text)
    return text
