"""Quote answers from the per-second cache are byte for byte the answers built afresh, for the same moment."""

from __future__ import annotations

from datetime import datetime

import pytest

from op_trading.market import calendar
from op_trading.sandbox import web
from op_trading.sandbox.answers import BUILDERS
from tests.fixtures_sandbox import frozen_sandbox, raw  # noqa: F401 - fixtures


def fresh_body(box, path: str, names: list[str], moment: datetime) -> bytes:
    universe, build = box.universe(moment.date()), getattr(box.quotes, BUILDERS[path])
    data = {}
    for name in names:
        instrument = universe.resolve(name)
        if instrument is not None:
            data[name] = build(instrument, moment)
    return web.success(data).body


@pytest.mark.parametrize("when", ["2026-11-20 11:00:00", "2026-11-20 09:05:00", "2026-11-20 15:31:07",
                                  "2026-11-21 12:00:00"])
@pytest.mark.parametrize("path", sorted(BUILDERS))
def test_cached_answers_equal_fresh_ones(frozen_sandbox, path, when):  # noqa: F811
    moment = calendar.to_ist(datetime.fromisoformat(when))
    universe = frozen_sandbox.universe(moment.date())
    names = [i.key for i in universe.instruments][::11] + ["NFO:NOSUCH26NOVFUT", "NSE:NIFTY 50", "NSE:NIFTY 50",
                                                           str(universe.instruments[5].instrument_token)]
    first = frozen_sandbox.answers.body(path, names, moment, universe)
    assert first == fresh_body(frozen_sandbox, path, names, moment)
    subset = names[::3]  # other lists in the same second reuse the parts and still answer exactly
    assert frozen_sandbox.answers.body(path, subset, moment, universe) == fresh_body(frozen_sandbox, path, subset,
                                                                                     moment)


def test_a_repeated_request_gets_the_same_bytes_and_a_new_second_a_new_answer(frozen_sandbox):  # noqa: F811
    token = frozen_sandbox.issue_access_token()
    query = {"i": ["NSE:NIFTY 50", "NSE:NIFTY BANK"]}
    first, again = (raw(frozen_sandbox, "GET", "/quote", token, params=query).content for _ in range(2))
    assert first == again
    frozen_sandbox.clock.set("2026-11-20 11:00:01", speed=0)
    try:
        later = raw(frozen_sandbox, "GET", "/quote", token, params=query).json()["data"]
    finally:
        frozen_sandbox.clock.set("2026-11-20 11:00:00", speed=0)
    assert later["NSE:NIFTY 50"]["timestamp"] == "2026-11-20 11:00:01" and later != first
