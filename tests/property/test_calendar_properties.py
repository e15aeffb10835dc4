"""Properties of the trading calendar that must hold for every date, not only the examples in the unit tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings, strategies as st

from op_trading.market import calendar as cal
from op_trading.market.indices import OPTION_INDICES

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31))
indices = st.sampled_from(OPTION_INDICES)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(dates)
def test_previous_and_next_are_adjacent_trading_days(day):
    before, after = cal.previous_trading_day(day), cal.next_trading_day(day)
    assert before < day < after
    assert cal.is_trading_day(before) and cal.is_trading_day(after)
    assert not any(cal.is_trading_day(before + timedelta(days=n)) for n in range(1, (day - before).days))
    assert not any(cal.is_trading_day(day + timedelta(days=n)) for n in range(1, (after - day).days))
    assert cal.next_trading_day(before) == (day if cal.is_trading_day(day) else after)


@FAST
@given(dates)
def test_trading_days_are_weekdays_off_the_holiday_list(day):
    assert cal.is_trading_day(day) == (day.weekday() < 5 and day not in cal.holidays())


@FAST
@given(moments)
def test_market_open_means_trading_day_within_hours(moment):
    expected = cal.is_trading_day(moment) and time(9, 15) <= moment.time() < time(15, 30)
    assert cal.is_market_open(moment) == expected


@FAST
@given(moments)
def test_next_session_open_is_the_first_open_at_or_after(moment):
    opens = cal.next_session_open(moment)
    aware = cal.to_ist(moment)
    assert opens >= aware and opens.time() == time(9, 15) and cal.is_trading_day(opens)
    between = cal.trading_days(aware.date(), opens.date() - timedelta(days=1))
    assert all(cal.market_open_at(day) < aware for day in between)


@FAST
@given(moments)
def test_latest_session_day_has_started(moment):
    day = cal.latest_session_day(moment)
    assert cal.is_trading_day(day) and cal.market_open_at(day) <= cal.to_ist(moment)
    assert cal.next_session_open(moment) > cal.market_open_at(day)


@FAST
@given(indices, dates, st.integers(min_value=1, max_value=8))
def test_monthly_expiries(index, start, count):
    found = cal.monthly_expiries(index, start, count)
    assert len(found) == count and found[0] >= start and found == sorted(found)
    months = [(day.year, day.month) for day in found]
    assert len(set(months)) == count
    for day in found:
        weekday = cal.expiry_weekday(index, day.replace(day=1))
        assert cal.is_trading_day(day) and cal.is_monthly_expiry(index, day)
        # the nominal day is the month's last `weekday`; the expiry is it, or the trading day before it
        nominal = day + timedelta(days=(weekday - day.weekday()) % 7)
        assert nominal.month == day.month and (nominal + timedelta(days=7)).month != day.month
        assert day == nominal or (not cal.is_trading_day(nominal) and cal.next_trading_day(day) > nominal)


@FAST
@given(indices, dates, st.integers(min_value=1, max_value=10), st.booleans())
def test_weekly_expiries(index, start, count, include_monthly):
    found = cal.weekly_expiries(index, start, count, include_monthly=include_monthly)
    if not index.weekly_expiry:
        assert found == []
        return
    assert len(found) == count and found[0] >= start
    assert all(b > a for a, b in zip(found, found[1:]))
    for day in found:
        assert cal.is_trading_day(day)
        assert include_monthly or not cal.is_monthly_expiry(index, day)
    if include_monthly:  # one expiry per week, never more than a fortnight apart
        assert all((b - a).days <= 14 for a, b in zip(found, found[1:]))


@FAST
@given(indices, dates)
def test_listed_expiries_are_weeklies_and_monthlies(index, on):
    listed = cal.listed_expiries(index, on)
    monthly = [day for day in listed if cal.is_monthly_expiry(index, day)]
    assert len(monthly) == 3 and listed == sorted(set(listed)) and listed[0] >= on
    assert len(listed) - len(monthly) == (4 if index.weekly_expiry else 0)
