"""Properties of expiry buckets over generated expiry calendars (hypothesis).

Generated dumps are realistic in shape: a weekly series (one expiry a week, on a fixed weekday, the month's last one
being the monthly) or a monthly-only series, optionally with far quarterly contracts, seen from any day.
"""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from op_trading.market.expiries import (BUCKETS, MONTH_BUCKETS, WEEK_BUCKETS, assign_buckets, has_weeklies,
                                        monthly_expiries, upcoming)

START = date(2024, 1, 1)


def last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@st.composite
def weekly_series(draw):
    """4-6 weekly expiries on one weekday from a start week, plus the 3 monthlies after them."""
    first = START + timedelta(days=draw(st.integers(0, 700)))
    weekday = draw(st.sampled_from([1, 3]))  # NSE Tuesday / BSE Thursday
    first += timedelta(days=(weekday - first.weekday()) % 7)
    weeklies = [first + timedelta(weeks=k) for k in range(draw(st.integers(4, 6)))]
    months = {(d.year, d.month) for d in weeklies}
    year, month = max(months)
    monthlies = []
    for _ in range(3):
        monthlies.append(last_weekday_of_month(year, month, weekday))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(set(weeklies + monthlies))


@st.composite
def monthly_series(draw):
    """3 consecutive monthlies plus optional quarterlies further out."""
    year, month = 2024 + draw(st.integers(0, 1)), draw(st.integers(1, 12))
    weekday = draw(st.sampled_from([1, 3]))
    quarterlies = draw(st.integers(0, 3))
    months_ahead = [0, 1, 2] + [2 + 3 * k for k in range(1, quarterlies + 1)]
    expiries = []
    for ahead in months_ahead:
        index = month - 1 + ahead
        expiries.append(last_weekday_of_month(year + index // 12, index % 12 + 1, weekday))
    return sorted(set(expiries))


def viewing_days(expiries):
    return st.integers(-10, (max(expiries) - min(expiries)).days + 10).map(lambda k: min(expiries) + timedelta(days=k))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), expiries=st.one_of(weekly_series(), monthly_series()))
def test_buckets_are_ordered_upcoming_listed_expiries(data, expiries):
    today = data.draw(viewing_days(expiries))
    buckets = assign_buckets(expiries, today)
    assert list(buckets) == [name for name in BUCKETS if name in buckets]
    for expiry in buckets.values():
        assert expiry in expiries and expiry >= today
    if "next_week" in buckets:
        assert buckets["this_week"] < buckets["next_week"]
    if "next_month" in buckets:
        assert buckets["this_month"] < buckets["next_month"]
        assert (buckets["this_month"].year, buckets["this_month"].month) < (buckets["next_month"].year,
                                                                             buckets["next_month"].month)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), expiries=weekly_series())
def test_weekly_series_rules(data, expiries):
    today = data.draw(viewing_days(expiries))
    future = upcoming(expiries, today)
    buckets = assign_buckets(expiries, today)
    if has_weeklies(future):
        assert buckets["this_week"] == future[0]  # the nearest expiry, whatever its kind
        assert buckets.get("next_week") == (future[1] if len(future) > 1 else None)
        # this_week is never later than this_month; equal exactly in the week of a monthly expiry
        assert buckets["this_week"] <= buckets["this_month"]
        if buckets["this_week"] == buckets["this_month"]:
            assert buckets["this_week"] in monthly_expiries(future)
    else:
        assert not set(WEEK_BUCKETS) & set(buckets)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), expiries=monthly_series())
def test_monthly_only_series_never_get_week_buckets(data, expiries):
    today = data.draw(viewing_days(expiries))
    buckets = assign_buckets(expiries, today)
    assert set(buckets) <= set(MONTH_BUCKETS)
    future = upcoming(expiries, today)
    if future:
        assert buckets["this_month"] == future[0]  # one contract per month: the nearest is this month's


@settings(max_examples=200, deadline=None)
@given(data=st.data(), expiries=st.one_of(weekly_series(), monthly_series()))
def test_this_month_is_the_earliest_monthly_not_yet_expired(data, expiries):
    today = data.draw(viewing_days(expiries))
    buckets = assign_buckets(expiries, today)
    monthlies = [m for m in monthly_expiries(expiries) if m >= today]
    assert buckets.get("this_month") == (monthlies[0] if monthlies else None)
    # after a month's monthly has passed, this_month is never a date in that month
    if buckets.get("this_month") and today.month == buckets["this_month"].month:
        assert today <= buckets["this_month"]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), expiries=st.one_of(weekly_series(), monthly_series()))
def test_adding_expired_contracts_changes_nothing(data, expiries):
    today = data.draw(viewing_days(expiries))
    stale = [today - timedelta(days=k) for k in range(1, 30, 7)]
    assert assign_buckets(expiries + stale, today) == assign_buckets(expiries, today)
