"""A dry collection cycle: one real cycle against the configured source, records built but not stored."""

from __future__ import annotations

from contextlib import ExitStack

from op_trading.errortext import error_line
from op_trading.outcome import Check, Status

NAME = "dry collection cycle"


def dry_cycle(settings) -> Check:
    from op_trading.kite.errors import AuthRequired, KiteSetupError
    from op_trading.runtime.collect import build_collector, open_live_feed, open_mock_feed

    with ExitStack() as stack:
        try:
            if settings["DATA_SOURCE_MODE"] == "mock":
                feed = open_mock_feed(settings, stack)
            else:
                feed = open_live_feed(settings)
        except (AuthRequired, KiteSetupError) as error:
            return Check(NAME, Status.FAILED, f"live source not usable: {error}")
        try:
            result = build_collector(settings, feed).run_cycle()
        except Exception as error:  # reported as the check's reason; the log has the traceback
            return Check(NAME, Status.FAILED, error_line(error))
    stats = result.stats
    status = Status.OK if stats.legs and stats.overviews else Status.FAILED
    return Check(NAME, status, f"{feed.source}: {stats.overviews} index overviews, {stats.legs} option legs, "
                 f"{stats.quote_calls} quote call(s), {stats.wall_ms:.0f} ms (nothing stored)")
