"""Typed settings for one run, resolved from the field definitions in `wizards/environment.py`.

Precedence, highest first: explicit overrides (``--set KEY=VALUE``), the process environment, the project's
``.env``, the mode profile default, the field default. Every value passes `parse_value`, the same parser the
wizard uses, so the runtime never sees a value the wizard would refuse.

Core modules read a value by its env name: ``settings["INFLUXDB_URL"]``. Asking for a name that is not declared
raises KeyError, so a typo cannot silently read nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from op_trading import paths
from op_trading.config.fields import Field, FieldError, parse_value, shown_value

SOURCES = ("override", "environment", ".env", "profile", "default")
# How a source is named in messages: the user typed `--set`, not "override".
SOURCE_NAMES = {"override": "--set", "environment": "the environment", ".env": ".env", "profile": "the mode profile",
                "default": "the default"}


@dataclass
class Settings:
    mode: str | None
    values: dict[str, Any]
    texts: dict[str, str]
    sources: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)  # name -> one line ending in "(from --set)" etc.
    warnings: list[str] = field(default_factory=list)  # usable but worth fixing (e.g. a key twice in .env)

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            raise KeyError(f"{name} is not a declared setting (see wizards/environment.py)")
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        value = self[name]
        return default if value is None else value

    def path(self, name: str) -> Path:
        """A path setting resolved against the project home."""
        return paths.resolve(self[name])

    def missing(self, mode: str | None = None) -> list[str]:
        """Names required for the mode that have no value, all at once."""
        mode = mode or self.mode
        return [name for name, f in fields().items() if f.is_required(mode) and self.values.get(name) in (None, "")]

    def shown(self, name: str) -> str:
        """The value as it may appear on screen or in a log: secrets masked."""
        return shown_value(fields()[name], self.texts.get(name, ""))

    def with_overrides(self, overrides: Mapping[str, str]) -> "Settings":
        return load_settings(self.mode, {**self._overrides, **overrides}, self._env_path)

    _overrides: dict[str, str] = field(default_factory=dict, repr=False)
    _env_path: Path | None = field(default=None, repr=False)


def fields() -> dict[str, Field]:
    from wizards.environment import FIELDS

    return FIELDS


def load_settings(mode: str | None = None, overrides: Mapping[str, str] | None = None,
                  env_path: Path | None = None) -> Settings:
    """Resolve every declared setting. Invalid values are kept out of `values` and reported in `errors`."""
    overrides = dict(overrides or {})
    env_path = env_path or paths.env_file()
    settings = Settings(mode, {}, {}, {}, _overrides=overrides, _env_path=env_path)
    dotenv = _read_dotenv(env_path, settings)
    layers = (("override", overrides), ("environment", os.environ), (".env", dotenv))
    for name, f in fields().items():
        text, source = _first_value(f, mode, layers)
        try:
            value = parse_value(f, text)
        except FieldError as error:
            settings.errors[name] = f"{error} (from {SOURCE_NAMES[source]})"
            text, source = f.default_for(mode), "default"
            value = parse_value(f, text)
        settings.values[name], settings.texts[name], settings.sources[name] = value, text, source
    for name, message in cross_field_problems(settings.values, mode):
        settings.errors.setdefault(name, message)
    return settings


def _read_dotenv(env_path: Path, settings: Settings) -> dict[str, str]:
    """The .env values; an unreadable file is a configuration error, a key set twice a warning (last one counts)."""
    from op_trading.config.envfile import duplicate_keys, read_env

    if not env_path.exists():
        return {}
    try:
        values = read_env(env_path)
        text = env_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        settings.errors[".env"] = f"cannot read {env_path} ({reason}); fix or remove it"
        return {}
    for key, lines in duplicate_keys(text).items():
        settings.warnings.append(f"{key} is set {len(lines)} times in .env (lines {', '.join(map(str, lines))}); "
                                 "the last one counts. Saving it in the wizard keeps one line.")
    return values


def cross_field_problems(values: Mapping[str, Any], mode: str | None) -> list[tuple[str, str]]:
    """Combinations that are each valid alone but not together."""
    problems = []
    if "influxdb" in values["STORAGE_SINKS"] and not values["INFLUXDB_URL"]:
        problems.append(("STORAGE_SINKS", "STORAGE_SINKS includes influxdb but INFLUXDB_URL is empty"))
    if mode == "production" and values["MOCK_FALLBACK_ENABLED"]:
        problems.append(("MOCK_FALLBACK_ENABLED", "MOCK_FALLBACK_ENABLED is refused in production: production "
                         "never falls back to mock data"))
    return problems


def _first_value(f: Field, mode: str | None, layers) -> tuple[str, str]:
    for source, layer in layers:
        if f.env in layer and (layer[f.env] or "").strip() != "":
            return layer[f.env], source
    if mode in f.profiles:
        return f.profiles[mode], "profile"
    return f.default, "default"


def unknown_override_keys(overrides: Mapping[str, str]) -> list[str]:
    return sorted(set(overrides) - set(fields()))
