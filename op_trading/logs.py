"""Logging to a daily file under LOG_DIR, with every secret value masked before anything is written.

The screen belongs to the UI; logs go only to the file. The folder is created on the first record, not at start-up.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from pathlib import Path

from op_trading.config.fields import mask

LOG_NAME = "op_trading.log"
_OURS = "op_trading_handler"


class SecretFilter(logging.Filter):
    """Replaces known secret values (api secret, tokens) in the final message with their masked form."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, mask(secret))
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, mask(secret))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _LazyDailyFile(logging.handlers.TimedRotatingFileHandler):
    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def setup_logging(settings) -> SecretFilter:
    """Route the `op_trading` loggers to LOG_DIR/op_trading.log; returns the secret filter (to add new secrets)."""
    from op_trading.config.settings import fields

    secrets = [settings.texts.get(name, "") for name, f in fields().items() if f.secret]
    secret_filter = SecretFilter(secrets)
    handler = _LazyDailyFile(settings.path("LOG_DIR") / LOG_NAME, when="midnight",
                             backupCount=settings["LOG_RETENTION_DAYS"], encoding="utf-8", delay=True)
    handler.set_name(_OURS)
    handler.addFilter(secret_filter)
    text_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler.setFormatter(JsonFormatter() if settings["LOG_FORMAT"] == "json" else logging.Formatter(text_format))
    logger = logging.getLogger("op_trading")
    for old in [h for h in logger.handlers if h.get_name() == _OURS]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(settings["LOG_LEVEL"])
    logger.propagate = False
    return secret_filter


def secret_filter() -> SecretFilter | None:
    """The active filter, so code that learns a new secret (a fresh access token) can mask it too."""
    for handler in logging.getLogger("op_trading").handlers:
        if handler.get_name() == _OURS:
            for candidate in handler.filters:
                if isinstance(candidate, SecretFilter):
                    return candidate
    return None
