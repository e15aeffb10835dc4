"""Sending alerts: one queue and one daemon thread per channel, bounded retries with backoff, every result logged.

`Notifier.deliver(alerts)` only puts messages on queues (never blocks: a full queue drops the newest message and
says so), so collection never waits for Telegram or an SMTP server. A failed send is retried NOTIFY_RETRIES times
with doubling waits, then logged as failed and counted through `on_result(channel, ok)`. Log lines name channels
and masked URLs only.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from op_trading.errortext import error_line
from op_trading.notify.channels import ChannelConfig, configured, severity_rank

log = logging.getLogger(__name__)
QUEUE_SIZE = 500  # messages waiting per channel; beyond it new ones are dropped (a dead channel must not grow RAM)
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 60.0
_STOP = object()
_TYPES = {0: "info", 1: "warning", 2: "failure"}  # Apprise's NotifyType values


@dataclass(frozen=True)
class Message:
    severity: str
    title: str
    body: str


def message_of(alert: Any) -> Message:
    """An analytics Alert (severity, subject, message), any object with .severity/.message, or plain text."""
    if isinstance(alert, Message):
        return alert
    if isinstance(alert, str):
        return Message("info", "OP Trading", alert)
    severity = str(getattr(getattr(alert, "severity", "info"), "value", getattr(alert, "severity", "info")))
    subject = getattr(alert, "subject", "") or getattr(alert, "type", "")
    title = f"OP Trading {severity.upper()}" + (f": {subject}" if subject else "")
    return Message(severity.lower(), title, str(getattr(alert, "message", alert)))


def instantiate(url: str, telegram_root: str | None = None):
    """The Apprise plugin object for `url` (None when Apprise cannot parse it); Telegram pointed at `telegram_root`
    (TELEGRAM_API_ROOT: a local stand-in in tests, a proxy in restricted networks)."""
    import apprise

    logging.getLogger("apprise").setLevel(logging.WARNING)  # its debug lines can show whole URLs
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is not None and telegram_root and type(plugin).__name__ == "NotifyTelegram":
        plugin.notify_url = telegram_root.rstrip("/") + "/bot"
    return plugin


class ChannelSender:
    """One channel's queue and thread."""

    def __init__(self, config: ChannelConfig, retries: int, telegram_root: str | None,
                 on_result: Callable[[str, bool], None] | None = None, first_retry: float = FIRST_RETRY_SECONDS):
        self.config, self.retries, self.telegram_root = config, retries, telegram_root
        self.on_result, self.first_retry = on_result, first_retry
        self.queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self.sent = self.failed = self.dropped = 0
        self._stop = threading.Event()
        self._plugin = None
        self._thread = threading.Thread(target=self._run, name=f"op-notify-{config.name}", daemon=True)

    def start(self) -> "ChannelSender":
        self._thread.start()
        return self

    def put(self, message: Message) -> bool:
        try:
            self.queue.put_nowait(message)
            return True
        except queue.Full:
            self.dropped += 1
            log.warning("notification channel %s: queue full, alert dropped", self.config.name)
            return False

    def stop(self, wait: float = 5.0) -> None:
        """Send what is queued (within `wait` seconds), then end the thread."""
        try:
            self.queue.put(_STOP, timeout=wait)
        except queue.Full:
            pass
        self._thread.join(wait)
        self._stop.set()

    def _run(self) -> None:
        while True:
            message = self.queue.get()
            if message is _STOP:
                return
            ok = self.send_with_retries(message)
            if self.on_result:
                self.on_result(self.config.name, ok)

    def send_with_retries(self, message: Message) -> bool:
        delay = self.first_retry
        for attempt in range(1, self.retries + 2):
            problem = self._send(message)
            if problem is None:
                self.sent += 1
                log.info("alert sent to %s (%s)", self.config.name, self.config.masked)
                return True
            if attempt > self.retries:
                break
            log.info("alert to %s failed (%s), attempt %d/%d; retrying in %.0f s", self.config.name, problem,
                     attempt, self.retries + 1, delay)
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, MAX_RETRY_SECONDS)
        self.failed += 1
        log.warning("alert to %s (%s) not delivered: %s", self.config.name, self.config.masked, problem)
        return False

    def _send(self, message: Message) -> str | None:
        """None when sent, else why not (one line, no URL)."""
        try:
            if self._plugin is None:
                self._plugin = instantiate(self.config.url, self.telegram_root)
                if self._plugin is None:
                    return "Apprise cannot use this URL"
            kind = _TYPES[min(severity_rank(message.severity), 2)]
            return None if self._plugin.notify(body=message.body, title=message.title, notify_type=kind) \
                else "the channel refused or did not answer"
        except Exception as error:  # a plugin bug must not end the channel's thread
            return error_line(error)


class Notifier:
    """Every configured channel; `deliver(alerts)` queues each alert on the channels whose minimum it reaches."""

    def __init__(self, channels: Iterable[ChannelConfig], retries: int = 3, telegram_root: str | None = None,
                 on_result: Callable[[str, bool], None] | None = None, first_retry: float = FIRST_RETRY_SECONDS):
        self.senders = [ChannelSender(config, retries, telegram_root, on_result, first_retry) for config in channels]
        self._started = False

    @classmethod
    def from_settings(cls, settings, on_result: Callable[[str, bool], None] | None = None,
                      first_retry: float = FIRST_RETRY_SECONDS) -> "Notifier":
        return cls(configured(settings), settings["NOTIFY_RETRIES"], settings["TELEGRAM_API_ROOT"], on_result,
                   first_retry)

    def start(self) -> "Notifier":
        if not self._started:
            for sender in self.senders:
                sender.start()
            self._started = True
        return self

    def deliver(self, alerts: Iterable[Any]) -> int:
        """Queue the alerts; returns how many messages were queued (over all channels)."""
        queued = 0
        for alert in alerts:
            message = message_of(alert)
            for sender in self.senders:
                if sender.config.wants(message.severity):
                    queued += sender.put(message)
        return queued

    def pending(self) -> int:
        return sum(sender.queue.qsize() for sender in self.senders)

    def stop(self, wait: float = 5.0) -> None:
        if self._started:
            for sender in self.senders:
                sender.stop(wait)

    def describe(self) -> list[tuple[str, str, str]]:
        """(channel, masked URL, minimum severity) for screens."""
        return [(s.config.name, s.config.masked, s.config.min_severity) for s in self.senders]


def send_test(settings) -> list[tuple[str, str, bool, str]]:
    """Send one test alert to every configured channel now (no minimum severity applies): (channel, masked URL,
    sent?, problem). Used by the wizard's "Send a test alert" item."""
    notifier = Notifier.from_settings(settings, first_retry=1.0)
    message = Message("info", "OP Trading test alert", "Test alert from OP Trading Platform: this channel works.")
    results = []
    for sender in notifier.senders:
        problem = sender._send(message)
        results.append((sender.config.name, sender.config.masked, problem is None, problem or ""))
    return results
