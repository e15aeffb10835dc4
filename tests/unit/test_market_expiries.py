"""Expiry buckets from dump expiries: the original rule, expiry days, the week of a monthly, after the monthly."""

from datetime import date

from op_trading.market.expiries import BUCKETS, assign_buckets, days_to_expiry, has_weeklies, monthly_expiries

# NSE, Tuesday expiries (Oct-Dec 2025): weeklies every Tuesday, monthlies on the last Tuesday.
NIFTY = [date(2025, 10, 14), date(2025, 10, 21), date(2025, 10, 28), date(2025, 11, 4), date(2025, 11, 11),
         date(2025, 11, 25), date(2025, 12, 30), date(2026, 3, 31)]
BANKNIFTY = [date(2025, 10, 28), date(2025, 11, 25), date(2025, 12, 30), date(2026, 3, 31)]


def test_normal_week_gives_all_four_buckets_in_order():
    buckets = assign_buckets(NIFTY, date(2025, 10, 13))
    assert list(buckets) == list(BUCKETS)
    assert buckets == {"this_week": date(2025, 10, 14), "next_week": date(2025, 10, 21),
                       "this_month": date(2025, 10, 28), "next_month": date(2025, 11, 25)}


def test_on_expiry_day_the_expiring_contract_is_still_this_week():
    buckets = assign_buckets(NIFTY, date(2025, 10, 14))
    assert buckets["this_week"] == date(2025, 10, 14)
    assert buckets["next_week"] == date(2025, 10, 21)


def test_in_the_week_of_the_monthly_this_week_and_this_month_are_the_same_contract():
    buckets = assign_buckets(NIFTY, date(2025, 10, 23))
    assert buckets["this_week"] == buckets["this_month"] == date(2025, 10, 28)
    assert buckets["next_week"] == date(2025, 11, 4)
    assert buckets["next_month"] == date(2025, 11, 25)


def test_after_the_monthly_has_expired_this_month_is_next_calendar_months_monthly():
    buckets = assign_buckets(NIFTY, date(2025, 10, 29))
    assert buckets["this_month"] == date(2025, 11, 25)
    assert buckets["next_month"] == date(2025, 12, 30)
    assert buckets["this_week"] == date(2025, 11, 4)


def test_monthly_only_underlying_has_no_week_buckets():
    buckets = assign_buckets(BANKNIFTY, date(2025, 10, 14))
    assert buckets == {"this_month": date(2025, 10, 28), "next_month": date(2025, 11, 25)}
    assert not has_weeklies(BANKNIFTY)
    assert has_weeklies(NIFTY)


def test_weekly_flag_overrides_what_the_dump_shows():
    assert "this_week" not in assign_buckets(NIFTY, date(2025, 10, 13), weekly=False)
    assert assign_buckets(BANKNIFTY, date(2025, 10, 13), weekly=True)["this_week"] == date(2025, 10, 28)


def test_expired_contracts_and_an_empty_dump_give_no_buckets():
    assert assign_buckets(NIFTY, date(2026, 4, 1)) == {}
    assert assign_buckets([], date(2025, 10, 14)) == {}


def test_only_one_future_monthly_gives_no_next_month():
    assert assign_buckets(BANKNIFTY, date(2026, 1, 1)) == {"this_month": date(2026, 3, 31)}


def test_monthly_expiries_take_the_last_expiry_of_each_month():
    assert monthly_expiries(NIFTY) == [date(2025, 10, 28), date(2025, 11, 25), date(2025, 12, 30),
                                       date(2026, 3, 31)]


def test_days_to_expiry_is_calendar_days_and_zero_on_the_day():
    assert days_to_expiry(date(2025, 10, 14), date(2025, 10, 14)) == 0
    assert days_to_expiry(date(2025, 10, 21), date(2025, 10, 14)) == 7
