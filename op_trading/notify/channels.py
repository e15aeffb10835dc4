"""The notification channels as settings describe them: one Apprise URL and a minimum severity per channel.

Apprise URL syntax (https://github.com/caronc/apprise/wiki): tgram://bot-token/chat-id, mailtos://user:pass@host?to=x,
discord://id/token or slack://..., ntfy://topic, json://host/path. URLs hold secrets (bot tokens, passwords, webhook
tokens): `masked()` is the only form that reaches a screen or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "critical")
# name, URL setting, minimum severity setting, what the wizard calls it
CHANNELS = (
    ("telegram", "NOTIFY_TELEGRAM_URL", "NOTIFY_TELEGRAM_MIN_SEVERITY", "Telegram"),
    ("email", "NOTIFY_EMAIL_URL", "NOTIFY_EMAIL_MIN_SEVERITY", "E-mail"),
    ("chat", "NOTIFY_CHAT_URL", "NOTIFY_CHAT_MIN_SEVERITY", "Discord/Slack"),
    ("ntfy", "NOTIFY_NTFY_URL", "NOTIFY_NTFY_MIN_SEVERITY", "ntfy"),
    ("webhook", "NOTIFY_WEBHOOK_URL", "NOTIFY_WEBHOOK_MIN_SEVERITY", "Webhook"),
)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{1,20})://(.*)", re.IGNORECASE | re.DOTALL)


def severity_rank(severity: object) -> int:
    """info 0, warning 1, critical 2; an enum's value or any text (unknown text counts as info)."""
    text = str(getattr(severity, "value", severity) or "info").lower()
    return SEVERITIES.index(text) if text in SEVERITIES else 0


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    url: str = field(repr=False)
    min_severity: str = "warning"

    def wants(self, severity: object) -> bool:
        return severity_rank(severity) >= severity_rank(self.min_severity)

    @property
    def masked(self) -> str:
        return masked_url(self.url)


def configured(settings) -> list[ChannelConfig]:
    """The channels whose URL is set, in CHANNELS order."""
    found = []
    for name, url_key, severity_key, _ in CHANNELS:
        url = (settings.get(url_key) or "").strip()
        if url:
            found.append(ChannelConfig(name, url, settings.get(severity_key) or "warning"))
    return found


def masked_url(url: str) -> str:
    """`scheme://****` plus the last 4 characters when the URL is long: recognisable, never usable."""
    match = _SCHEME.match(url or "")
    if not match:
        return "****" if url else ""
    rest = match.group(2)
    return f"{match.group(1)}://****{rest[-4:] if len(rest) >= 16 else ''}"


def check_url(value: str) -> None:
    """The wizard's check (the same parse the sender uses): ValueError with a one-line reason when Apprise cannot
    use the URL. The message never repeats the URL (it holds secrets)."""
    if not _SCHEME.match(value.strip()):
        raise ValueError("not a notification URL: expected scheme://..., e.g. tgram://bot-token/chat-id")
    from op_trading.notify.delivery import instantiate

    if instantiate(value.strip()) is None:
        scheme = _SCHEME.match(value.strip()).group(1)
        raise ValueError(f"Apprise cannot use this {scheme}:// URL (see the Apprise wiki for its syntax)")
