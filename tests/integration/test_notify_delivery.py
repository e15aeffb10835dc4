"""Alert delivery through Apprise to real local stand-ins: SMTP (aiosmtpd), a JSON webhook and Telegram's Bot API
(TELEGRAM_API_ROOT pointed at an HTTP receiver on 127.0.0.1). Minimum severity per channel, bounded retries,
masked URLs, and the wizard's "Send a test alert"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from op_trading.config.settings import load_settings
from op_trading.notify.channels import ChannelConfig, check_url, configured, masked_url
from op_trading.notify.delivery import Notifier
from tests.fixtures_notify import http_receiver, smtp_receiver, wait_until  # noqa: F401 (fixtures)

BOT = "123456789:AAsecretBotTokenXYZ"


@dataclass
class FakeAlert:  # the shape of op_trading.analytics.alerts.Alert that delivery reads
    severity: str
    subject: str
    message: str


def test_each_channel_gets_what_reaches_its_minimum(http_receiver, smtp_receiver):
    results = []
    notifier = Notifier([ChannelConfig("telegram", f"tgram://{BOT}/4242", "warning"),
                         ChannelConfig("email", smtp_receiver.url(), "critical"),
                         ChannelConfig("webhook", f"json://127.0.0.1:{http_receiver.port}/hook", "info")],
                        retries=1, telegram_root=http_receiver.url, on_result=lambda c, ok: results.append((c, ok)),
                        first_retry=0.05).start()
    try:
        queued = notifier.deliver([FakeAlert("info", "NIFTY", "an info line"),
                                   FakeAlert("warning", "FII", "FII sold 900 cr"),
                                   FakeAlert("critical", "Kite", "Kite login needed")])
        assert queued == 1 + 2 + 3  # email: critical only; telegram: warning+; webhook: all
        assert wait_until(lambda: len(results) == 6)
    finally:
        notifier.stop()
    assert all(ok for _, ok in results)
    hooks = [m["message"] for m in http_receiver.messages("/hook")]
    assert sorted(hooks) == sorted(["an info line", "FII sold 900 cr", "Kite login needed"])
    telegram = http_receiver.messages(f"/bot{BOT}/sendMessage")
    assert [m["chat_id"] for m in telegram] == [4242, 4242]
    assert {("FII sold 900 cr" in m["text"]) or ("Kite login needed" in m["text"]) for m in telegram} == {True}
    assert len(smtp_receiver.messages) == 1 and "Kite login needed" in smtp_receiver.messages[0][2]
    assert smtp_receiver.messages[0][1] == ["trader@example.com"]


def test_ntfy_on_a_self_hosted_server(http_receiver):
    results = []
    notifier = Notifier([ChannelConfig("ntfy", f"ntfy://127.0.0.1:{http_receiver.port}/op-alerts-private", "info")],
                        retries=0, on_result=lambda c, ok: results.append(ok)).start()
    try:
        notifier.deliver([FakeAlert("critical", "NIFTY", "IV spike 4 points")])
        assert wait_until(lambda: results == [True])
    finally:
        notifier.stop()
    [(path, body)] = http_receiver.received
    assert body["topic"] == "op-alerts-private" and body["message"] == "IV spike 4 points"
    assert "CRITICAL" in body["title"] and "NIFTY" in body["title"]


def test_a_failing_channel_is_retried_a_bounded_number_of_times(http_receiver, caplog):
    results = []
    notifier = Notifier([ChannelConfig("webhook", f"json://127.0.0.1:{http_receiver.port}/hook", "info")],
                        retries=2, on_result=lambda c, ok: results.append(ok), first_retry=0.05).start()
    try:
        http_receiver.fail_next = 1  # one failure, then the retry gets through
        notifier.deliver(["first"])
        assert wait_until(lambda: results == [True])
        http_receiver.fail_next = 100  # down for good: 1 + 2 retries, then given up
        notifier.deliver(["second"])
        assert wait_until(lambda: results == [True, False])
    finally:
        notifier.stop()
    assert [m["message"] for m in http_receiver.messages("/hook")] == ["first"]
    assert http_receiver.fail_next == 100 - 3
    assert any("not delivered" in record.getMessage() for record in caplog.records)
    assert notifier.senders[0].failed == 1 and notifier.senders[0].sent == 1


def test_a_failing_telegram_channel_never_logs_its_bot_token(http_receiver, caplog, project_home):
    import logging

    from op_trading.logs import setup_logging

    settings = load_settings("production", {"NOTIFY_TELEGRAM_URL": f"tgram://{BOT}/4242", "NOTIFY_RETRIES": "1",
                                            "NOTIFY_TELEGRAM_MIN_SEVERITY": "info", "LOG_LEVEL": "DEBUG",
                                            "TELEGRAM_API_ROOT": http_receiver.url})
    setup_logging(settings)
    caplog.set_level(logging.DEBUG)
    results = []
    notifier = Notifier.from_settings(settings, on_result=lambda c, ok: results.append(ok), first_retry=0.05).start()
    try:
        http_receiver.fail_next = 100
        notifier.deliver(["will fail"])
        assert wait_until(lambda: results == [False])
        logging.getLogger("op_trading.notify").info("a line quoting the token %s", BOT)
    finally:
        notifier.stop()
    written = (settings.path("LOG_DIR") / "op_trading.log").read_text(encoding="utf-8")
    assert "not delivered" in written and "tgram://****4242" in written
    assert BOT not in written and "AAsecretBotTokenXYZ" not in written
    # what reaches a console (warnings of the libraries) never names the token either
    shown = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert shown and not any(BOT in line for line in shown)


def test_urls_are_masked_and_checked():
    url = f"tgram://{BOT}/4242"
    assert BOT not in masked_url(url) and masked_url(url).startswith("tgram://****")
    assert "pass" not in masked_url("mailtos://user:pass@smtp.example.com?to=a@b.c")
    check_url(url)
    check_url("json://127.0.0.1:9/hook")
    for bad in ("not a url", "nosuchscheme://x/y"):
        with pytest.raises(ValueError) as error:
            check_url(bad)
        assert bad not in str(error.value) or bad == "not a url"


def test_settings_list_channels_and_the_test_alert_reaches_them(http_receiver, smtp_receiver, project_home):
    from op_trading.context import RunContext
    from op_trading.notify.actions import test_alert

    settings = load_settings("production", {"NOTIFY_WEBHOOK_URL": f"json://127.0.0.1:{http_receiver.port}/t",
                                            "NOTIFY_EMAIL_URL": smtp_receiver.url(),
                                            "NOTIFY_EMAIL_MIN_SEVERITY": "critical"})
    assert [c.name for c in configured(settings)] == ["email", "webhook"]
    assert settings.shown("NOTIFY_WEBHOOK_URL") != settings["NOTIFY_WEBHOOK_URL"]  # secret: masked when shown
    outcome = test_alert(RunContext("production", settings, ui=None))
    assert outcome.ok, outcome.message
    assert "2 of 2" in outcome.message
    assert http_receiver.messages("/t") and smtp_receiver.messages  # a test ignores the minimum severity
    bad = settings.with_overrides({"NOTIFY_WEBHOOK_URL": "json://127.0.0.1:1/closed", "NOTIFY_EMAIL_URL": ""})
    result = test_alert(RunContext("production", bad, ui=None))
    assert not result.ok and "0 of 1" in result.message
