"""Menu actions for alert notifications."""

from __future__ import annotations

from op_trading.outcome import Check, Outcome, Status, from_checks, warn


def test_alert(ctx, **params) -> Outcome:
    """Setup > Environment configuration wizard > Alert notifications > Send a test alert: one message to every
    configured channel now, each result on its own line (URLs masked)."""
    from op_trading.notify.delivery import send_test

    results = send_test(ctx.settings)
    if not results:
        return warn("No notification channel is set: enter a NOTIFY_*_URL in Alert notifications first")
    checks = [Check(f"{name} ({masked})", Status.OK if sent else Status.FAILED, "test alert sent" if sent else problem)
              for name, masked, sent, problem in results]
    sent = sum(1 for *_, ok_, _ in results if ok_)
    return from_checks(checks, f"Test alert sent to {sent} of {len(results)} channel(s)")
