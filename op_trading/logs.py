"""Logging to a daily file under LOG_DIR, with every secret masked before anything is written.

The screen belongs to the UI; logs go only to the file. The folder is created on the first record, not at start-up,
owner-only like `.env` (log lines name users, hosts and paths), and so are the files. Secrets are the values of
secret fields, tokens learnt at run time, and passwords inside any URL (`redis://:pw@host`, `http://u:pw@host`).
Every line is bounded: a response body pasted into an error cannot make a 100 KB log line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from op_trading.config.fields import mask, mask_url_secrets

LOG_NAME = "op_trading.log"
LOG_LINE_LIMIT = 1000  # characters per line of a record: a message quoting a whole response body is cut
_OURS = "op_trading_handler"
PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600


class SecretFilter(logging.Filter):
    """Masks known secret values and URL passwords in the final message and traceback; bounds the message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def clean(self, text: str) -> str:
        text = mask_url_secrets(text)
        for secret in self.secrets:
            text = text.replace(secret, mask(secret))
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _cut_lines(self.clean(record.getMessage())), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _cut_lines(self.clean(record.exc_text))
        return True


def _cut_lines(text: str) -> str:
    if len(text) <= LOG_LINE_LIMIT:
        return text
    return "\n".join(line if len(line) <= LOG_LINE_LIMIT else line[:LOG_LINE_LIMIT - 15] + " ... (cut)"
                     for line in text.splitlines())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and parents) owner-only where the OS has such modes; tighten it when it exists."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    if os.name == "posix":
        os.chmod(folder, PRIVATE_FOLDER)


def _daily_file_handler(path: Path, backups: int) -> logging.Handler:
    import logging.handlers  # only when logging starts: the first menu does without it

    class OwnerOnlyDailyFile(logging.handlers.TimedRotatingFileHandler):
        def _open(self):
            target = Path(self.baseFilename)
            make_private_folder(target.parent)
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
            descriptor = os.open(target, flags, PRIVATE_FILE)
            if os.name == "posix":
                os.chmod(target, PRIVATE_FILE)  # a file made before this rule (or by another umask) is tightened
            return open(descriptor, "a", encoding=self.encoding, errors=self.errors)

    return OwnerOnlyDailyFile(path, when="midnight", backupCount=backups, encoding="utf-8", delay=True)


def setup_logging(settings) -> SecretFilter:
    """Route the `op_trading` loggers to LOG_DIR/op_trading.log; returns the secret filter (to add new secrets)."""
    from op_trading.config.settings import fields

    secrets = [settings.texts.get(name, "") for name, f in fields().items() if f.secret]
    secrets += notification_url_parts(settings)
    secret_filter = SecretFilter(secrets)
    handler = _daily_file_handler(settings.path("LOG_DIR") / LOG_NAME, settings["LOG_RETENTION_DAYS"])
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


def notification_url_parts(settings) -> list[str]:
    """The token-like parts of the alert channel URLs (a Telegram bot token, a webhook token, an ntfy topic): a log
    line may quote a part without the whole URL. Host names (with dots) and short parts are left readable."""
    import re

    parts = []
    for name, value in settings.texts.items():
        if name.startswith("NOTIFY_") and name.endswith("_URL") and "://" in (value or ""):
            rest = value.split("://", 1)[1]
            parts += [part for part in re.split(r"[/@?&=]", rest) if len(part) >= 8 and "." not in part]
    return parts


def secret_filter() -> SecretFilter | None:
    """The active filter, so code that learns a new secret (a fresh access token) can mask it too."""
    for handler in logging.getLogger("op_trading").handlers:
        if handler.get_name() == _OURS:
            for candidate in handler.filters:
                if isinstance(candidate, SecretFilter):
                    return candidate
    return None
