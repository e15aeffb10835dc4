"""Actions that change `.env`: asking wizard fields, and importing Kite credentials from a file.

Answers are collected first and written once, atomically, at the end of a walk: Ctrl-C half-way leaves `.env` as
it was. "Enter keeps the current value" means exactly that: a kept value does not rewrite the file, so a mode's
default is never frozen into `.env` by accident. Values given explicitly (``--set`` or the environment) are saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from op_trading import paths
from op_trading.config.envfile import duplicate_keys, read_env, update_env
from op_trading.config.fields import (Field, FieldError, format_value, generated_value, mask, parse_value,
                                      shown_value)
from op_trading.config.settings import fields as declared_fields
from op_trading.context import Question, RunContext
from op_trading.fileio import atomic_write_text
from op_trading.outcome import Check, ExitCode, Outcome, Status, failed, ok

EXPLICIT_SOURCES = ("override", "environment")


def edit_fields(ctx: RunContext, fields: tuple[str, ...], only_if: Mapping[str, tuple[str, str]] | None = None,
                note: str = "", save_overrides: bool = False) -> Outcome:
    """Ask `fields` (some only when `only_if` holds) and save what changed; with `save_overrides`, every `--set`
    value is saved too, asked or not (a headless first-time setup writes what it was given)."""
    definitions = declared_fields()
    answers: dict[str, str] = {}
    for name in fields:
        condition = (only_if or {}).get(name)
        if condition is None or _holds(condition, answers, ctx, definitions):
            answers[name] = ctx.ui.ask(_question(definitions[name], ctx))
    if save_overrides:
        for name in ctx.overrides:
            if name in definitions and name not in answers and ctx.settings.sources.get(name) == "override":
                answers[name] = ctx.settings.texts[name]
    twice = _duplicated_in_env()  # saved again so that one line remains (a later duplicate would win)
    changes = {name: value for name, value in answers.items()
               if _should_write(ctx, definitions[name], value) or (name in twice and definitions[name].persist)}
    path = save(changes)
    checks = [Check(name, Status.OK, f"{_shown(definitions[name], value)} ({_what_happened(name, changes, twice)})")
              for name, value in answers.items()]
    where = f"{len(changes)} saved to {path}" if changes else f"nothing changed in {path}"
    return ok(f"{where}; {note}" if note else where, checks=tuple(checks), data={"changes": sorted(changes)})


def _holds(condition: tuple[str, str], answers: dict[str, str], ctx: RunContext, definitions) -> bool:
    """Whether another field's value (this walk's answer, else the current setting) is or contains `wanted`."""
    other, wanted = condition
    text = answers.get(other, ctx.settings.texts.get(other, ""))
    try:
        value = parse_value(definitions[other], text)
    except FieldError:
        return False
    return wanted in value if isinstance(value, list) else value == wanted


def save(changes: dict[str, str]) -> Path:
    """Write values to the project's `.env`, creating it from the documented template when it does not exist yet
    (so a walk through the wizard always leaves a complete `.env`, even when every value was kept)."""
    path = paths.env_file()
    if not path.exists():
        from op_trading.config.template import render_template

        atomic_write_text(path, render_template(), private=True)
    if changes:
        update_env(path, changes)
    return path


def validator(f: Field, mode: str | None):
    """The one check a typed answer goes through: the field's parser, plus required-for-mode."""

    def check(text: str) -> str | None:
        try:
            value = parse_value(f, text)
        except FieldError as error:
            return str(error)
        if f.is_required(mode) and value in (None, "", []):
            return f"{f.env} is required for {mode} mode"
        return None

    return check


def _question(f: Field, ctx: RunContext) -> Question:
    current = ctx.settings.texts.get(f.env, "") or generated_value(f)
    if f.kind == "bool" and isinstance(ctx.settings.values.get(f.env), bool):
        current = format_value(f, ctx.settings.values[f.env])  # "yes"/"1" shown as the choice "true"
    return Question(prompt=f"{f.prompt} ({f.env})", default=current, secret=f.secret, help=f.help,
                    validate=validator(f, ctx.mode), choices=_choices(f))


def _choices(f: Field) -> tuple[str, ...]:
    if f.kind == "choice":
        return f.choices
    return ("true", "false") if f.kind == "bool" else ()


def _duplicated_in_env() -> dict[str, list[int]]:
    path = paths.env_file()
    try:
        return duplicate_keys(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError):
        return {}


def _what_happened(name: str, changes: dict[str, str], twice: dict[str, list[int]]) -> str:
    if name not in changes:
        return "kept"
    if name in twice:
        return f"saved; it was set {len(twice[name])} times in .env, now once"
    return "saved"


def _should_write(ctx: RunContext, f: Field, answer: str) -> bool:
    if not f.persist:
        return False
    return answer != ctx.settings.texts.get(f.env, "") or ctx.settings.sources.get(f.env) in EXPLICIT_SOURCES


def _shown(f: Field, value: str) -> str:
    return shown_value(f, value) or ("(empty)" if not f.secret or not value else "****")


# -- import Kite credentials -------------------------------------------------------------------------------------
# Setting -> the names it goes by in files people have (our .env, Kite's examples, JSON exports).
IMPORTED = {"KITE_API_KEY": ("kite_api_key", "api_key", "apikey"),
            "KITE_API_SECRET": ("kite_api_secret", "api_secret", "apisecret", "secret"),
            "KITE_API_ROOT": ("kite_api_root", "api_root", "root"),
            "KITE_LOGIN_URL": ("kite_login_url", "login_url"),
            "KITE_REDIRECT_URL": ("kite_redirect_url", "redirect_url", "redirect_uri")}


def import_credentials(ctx: RunContext, path: str | None = None) -> Outcome:
    """Read the Kite app's settings (api_key, api_secret, API root, login and redirect URLs) from a JSON, .env or
    key=value file; every value found is validated like a typed answer, then all are saved at once (masked)."""
    definitions = declared_fields()
    if path is None:
        path = ctx.ui.ask(Question("File with your Kite api_key and api_secret", validate=_readable_file))
    try:
        found = _settings_in(Path(path).expanduser())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return failed(f"cannot read {path}: {getattr(error, 'strerror', None) or type(error).__name__}",
                      exit_code=ExitCode.USAGE)
    if not found:
        names = ", ".join(aliases[1] for aliases in IMPORTED.values())
        return failed(f"none of {names} found in {path}", exit_code=ExitCode.USAGE)
    problems = [error for name, value in found.items() if (error := validator(definitions[name], None)(value))]
    if problems:
        return failed("; ".join(problems) + " (nothing imported)", exit_code=ExitCode.USAGE)
    target = save(found)
    checks = tuple(Check(name, Status.OK, shown_value(definitions[name], value)) for name, value in found.items())
    return ok(f"imported {len(found)} setting(s) into {target}", checks=checks)


def _readable_file(text: str) -> str | None:
    try:
        readable = Path(text).expanduser().is_file()
    except (OSError, ValueError):  # a name too long for the system, a NUL character
        readable = False
    return None if readable else "that is not a readable file; give the path of a .env, JSON or key=value file"


def _settings_in(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        raw = json.loads(text)
        pairs = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    except ValueError:
        pairs = read_env(path)
    lowered = {key.lower(): value.strip() for key, value in pairs.items() if value and value.strip()}
    found = {}
    for env_name, aliases in IMPORTED.items():
        for alias in aliases:
            if alias in lowered:
                found[env_name] = lowered[alias]
                break
    return found
