"""The shape of a configuration field and the one parser every caller uses.

`wizards/environment.py` declares every variable once as a `Field`. The wizard, `--set`, `.env` loading, the
runtime settings and `env-template.txt` all go through `parse_value`, so a value the wizard accepts is exactly a
value the service accepts. A field's validator is its declaration: `kind` (with `minimum`/`maximum`, `choices`,
`pattern`, `max_length`) plus, where the runtime has its own rules, `check="module:function"` naming the very
function the runtime uses on the value (imported only when a non-empty value is checked; it raises ValueError
with a one-line reason). Numbers are ASCII digits only: `int()`/`float()` would take `1_0`, `१०` or `１０`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Mapping

KINDS = ("text", "int", "float", "bool", "choice", "list", "int_list", "url", "time", "path")
MODES = ("setup", "development", "production")

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
# scheme://[user[:password]@]host[:port][/path]; credentials are allowed (redis://:password@host:6379/0)
_URL = re.compile(r"(https?|redis|rediss)://([^\s/@]*@)?[^\s/:?#@]+(:(?P<port>[0-9]{1,5}))?(/[^\s]*)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_LENGTH = 1000  # longer than any real value; 5,000 pasted characters are a mistake, not a setting


class FieldError(ValueError):
    """A value that does not fit its field; the message is one line meant for the user."""


@dataclass(frozen=True)
class Field:
    env: str
    prompt: str
    help: str
    default: str = ""
    kind: str = "text"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    secret: bool = False
    required_for: tuple[str, ...] = ()
    profiles: Mapping[str, str] = field(default_factory=dict)
    persist: bool = True  # False: taken from --set or the environment, never written to .env
    generate: str = ""  # "token": the wizard offers a fresh random value when none is set
    check: str = ""  # "module:function" the runtime itself uses on the value; raises ValueError when it is unusable
    max_length: int = MAX_LENGTH

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.env}: unknown kind {self.kind!r}")
        unknown_modes = set(self.required_for) | set(self.profiles)
        if not unknown_modes <= set(MODES):
            raise ValueError(f"{self.env}: unknown modes {sorted(unknown_modes - set(MODES))}")

    def default_for(self, mode: str | None) -> str:
        return self.profiles.get(mode or "", self.default)

    def is_required(self, mode: str | None) -> bool:
        return mode in self.required_for


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    fields: tuple[Field, ...]


def parse_value(f: Field, text: str) -> Any:
    """Turn the text of a value into its typed form, or raise FieldError with a one-line reason.

    Empty text means "not set": it parses to None for optional text-like kinds and to the empty list for lists.
    """
    text = (text or "").strip()
    if _CONTROL.search(text):
        raise FieldError(f"{f.env}: control characters are not allowed")
    if len(text) > f.max_length:
        raise FieldError(f"{f.env}: {len(text)} characters is too long (at most {f.max_length})")
    if not text:
        return [] if f.kind in ("list", "int_list") else None
    value = _PARSERS[f.kind](f, text)
    if f.check:
        run_check(f, value)
    return value


def run_check(f: Field, value: Any) -> None:
    """The runtime's own rule for the value (`Field.check`), its complaint turned into one line."""
    module_name, _, function_name = f.check.partition(":")
    try:
        getattr(import_module(module_name), function_name)(value)
    except FieldError:
        raise
    except ValueError as error:
        reason = (str(error).strip().splitlines() or ["not usable"])[0]
        raise FieldError(f"{f.env}: {reason}") from None


def _text(f: Field, text: str) -> str:
    if f.pattern and not re.fullmatch(f.pattern, text):
        raise FieldError(f"{f.env}: {text_preview(f, text)} is not in the expected format")
    return text


def _number(f: Field, text: str, cast: type) -> float | int:
    if not (_INT if cast is int else _FLOAT).fullmatch(text):
        noun = "a whole number" if cast is int else "a number"
        hint = " (digits 0-9 only)" if any(c.isdigit() and not c.isascii() or c == "_" for c in text) else ""
        raise FieldError(f"{f.env}: expected {noun}{hint}, got {text_preview(f, text)}")
    value = cast(text)
    if f.minimum is not None and value < f.minimum:
        raise FieldError(f"{f.env}: must be at least {_fmt(f.minimum)}")
    if f.maximum is not None and value > f.maximum:
        raise FieldError(f"{f.env}: must be at most {_fmt(f.maximum)}")
    return value


def _bool(f: Field, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FieldError(f"{f.env}: expected true or false, got {text_preview(f, text)}")


def _choice(f: Field, text: str) -> str:
    lowered = text.lower()
    for choice in f.choices:
        if choice.lower() == lowered:
            return choice
    raise FieldError(f"{f.env}: expected one of {', '.join(f.choices)}, got {text_preview(f, text)}")


def _list(f: Field, text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    return [_choice(f, item) for item in items] if f.choices else items


def _int_list(f: Field, text: str) -> list[int]:
    return [int(_number(f, item, int)) for item in _list(f, text)]


def _url(f: Field, text: str) -> str:
    match = _URL.fullmatch(text)
    if not match:
        raise FieldError(f"{f.env}: expected a URL such as {f.default or 'http://127.0.0.1:8086'}")
    if match.group("port") and not 0 < int(match.group("port")) <= 65535:
        raise FieldError(f"{f.env}: port {match.group('port')} is not a port (1-65535)")
    return text.rstrip("/") if text.count("/") > 2 and text.endswith("/") else text


def _time(f: Field, text: str) -> str:
    if not _TIME.fullmatch(text):
        raise FieldError(f"{f.env}: expected a time as HH:MM (24-hour), got {text_preview(f, text)}")
    return text


_PARSERS = {
    "text": _text,
    "path": _text,
    "int": lambda f, t: int(_number(f, t, int)),
    "float": lambda f, t: float(_number(f, t, float)),
    "bool": _bool,
    "choice": _choice,
    "list": _list,
    "int_list": _int_list,
    "url": _url,
    "time": _time,
}


def generated_value(f: Field) -> str:
    """A fresh value for a field that asks for one (`generate="token"`): 32 random URL-safe characters."""
    if f.generate == "token":
        import secrets

        return secrets.token_urlsafe(24)
    return ""


def format_value(f: Field, value: Any) -> str:
    """The .env text of a typed value (the inverse of parse_value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def mask(value: str | None) -> str:
    """Show a secret as ``****ABCD``: enough to recognise it, never enough to use it."""
    if not value:
        return ""
    return "****" + value[-4:] if len(value) >= 12 else "****"


_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)([^\s/?#@]*)@")
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:password|passwd|pwd|token|secret|api_?key|access_token|auth)=)([^&#\s]+)")


def mask_url_secrets(text: str) -> str:
    """Any text with the credentials inside URLs masked: ``redis://:pw@host`` -> ``redis://:****@host``,
    ``http://user:pw@host`` -> ``http://user:****@host``, ``https://token@host`` -> ``https://****@host``, and
    ``?token=...``/``?password=...`` query values. Used for the screen, summaries and log lines alike."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_USERINFO.sub(_masked_userinfo, text)
    return _SECRET_QUERY.sub(lambda match: match.group(1) + "****", text)


def _masked_userinfo(match: re.Match) -> str:
    scheme, userinfo = match.group(1), match.group(2)
    if not userinfo:
        return match.group(0)
    user, has_password, _ = userinfo.partition(":")
    return f"{scheme}{user}:****@" if has_password else f"{scheme}****@"


def shown_value(f: Field, text: str) -> str:
    """How a field's value may appear on screen or in a log: secrets masked, URL credentials masked."""
    if f.secret:
        return mask(text)
    return mask_url_secrets(text)


def text_preview(f: Field, text: str) -> str:
    if f.secret:
        return "the value entered"
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    return shown if len(shown) <= 60 else shown[:56] + "...'"  # escapes (\U0002ebe1) make repr long


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
