"""The IST calendar: hours, shipped holidays and the expiry rules of domain.md §3."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from op_trading.market import calendar as cal
from op_trading.market.indices import BANKNIFTY, FINNIFTY, MIDCPNIFTY, NIFTY, SENSEX

UTC = timezone.utc


def test_ist_is_five_and_a_half_hours_ahead_of_utc():
    assert cal.now_ist().utcoffset() == timedelta(hours=5, minutes=30)
    assert cal.to_ist(datetime(2026, 11, 20, 3, 45, tzinfo=UTC)) == datetime(2026, 11, 20, 9, 15, tzinfo=cal.IST)
    assert cal.to_ist(datetime(2026, 11, 20, 9, 15)).tzinfo is cal.IST  # naive means IST


def test_holiday_list_has_source_date_and_both_years():
    assert cal.HOLIDAY_SOURCE["source"] and date.fromisoformat(cal.HOLIDAY_SOURCE["retrieved"])
    assert cal.holiday_years() == (2025, 2026)
    years = {day.year for day in cal.holidays()}
    assert years == {2025, 2026, 2027}  # 2027: provisional fixed-date holidays only
    assert all(day.weekday() < 5 for day in cal.holidays())  # weekend holidays are not listed
    assert cal.holidays_cover(date(2026, 5, 1)) and not cal.holidays_cover(date(2027, 1, 1))


def test_2027_knows_its_fixed_date_holidays_and_says_the_rest_is_missing():
    assert not cal.is_trading_day(date(2027, 1, 26))  # Republic Day, a Tuesday: no expiry on it
    assert cal.monthly_expiry(NIFTY, 2027, 1) == date(2027, 1, 25)
    assert not cal.is_trading_day(date(2027, 4, 14))
    assert cal.coverage_warning(date(2026, 12, 31)) is None
    warning = cal.coverage_warning(date(2027, 3, 1))
    assert "no complete list for 2027" in warning and "Republic Day" in warning
    assert "op_trading/market/calendar.py" in warning
    assert "none of its trading holidays are known" in cal.coverage_warning(date(2031, 6, 2))


def test_a_date_beyond_the_calendar_is_logged_once_per_year():
    import logging

    class Records(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    logger, handler = logging.getLogger("op_trading.market.calendar"), Records()
    logger.addHandler(handler)
    cal._warn_uncovered.cache_clear()
    try:
        for offset in range(10):
            cal.is_trading_day(date(2028, 3, 1) + timedelta(days=offset))
        cal.is_trading_day(date(2026, 3, 2))
    finally:
        logger.removeHandler(handler)
    assert handler.messages == [cal.coverage_warning(date(2028, 1, 1))]


@pytest.mark.parametrize("day, name", [
    (date(2025, 2, 26), "Mahashivratri"),
    (date(2025, 10, 21), "Diwali Laxmi Pujan"),
    (date(2026, 1, 15), "Municipal Corporation Election - Maharashtra"),
    (date(2026, 3, 3), "Holi"),
    (date(2026, 11, 24), "Prakash Gurpurb Sri Guru Nanak Dev"),
    (date(2026, 12, 25), "Christmas"),
])
def test_known_holidays_are_not_trading_days(day, name):
    assert cal.holiday_name(day) == name
    assert not cal.is_trading_day(day)


def test_weekends_and_ordinary_days():
    assert not cal.is_trading_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_trading_day(date(2026, 11, 22))  # Sunday
    assert cal.is_trading_day(date(2026, 11, 20))
    assert cal.is_trading_day(datetime(2026, 11, 20, 23, 0))


def test_previous_and_next_trading_day_skip_weekends_and_holidays():
    assert cal.previous_trading_day(date(2026, 11, 23)) == date(2026, 11, 20)  # Monday -> Friday
    assert cal.next_trading_day(date(2026, 11, 23)) == date(2026, 11, 25)  # over Tuesday's holiday
    assert cal.next_trading_day(date(2026, 1, 14)) == date(2026, 1, 16)
    assert cal.previous_trading_day(date(2025, 10, 23)) == date(2025, 10, 20)  # over Diwali 21-22 Oct
    assert cal.trading_days(date(2026, 11, 20), date(2026, 11, 25)) == [
        date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 25)]


def test_market_hours_boundaries():
    day = date(2026, 11, 20)
    assert cal.market_open_at(day) == datetime(2026, 11, 20, 9, 15, tzinfo=cal.IST)
    assert cal.market_close_at(day) == datetime(2026, 11, 20, 15, 30, tzinfo=cal.IST)
    assert not cal.is_market_open(datetime(2026, 11, 20, 9, 14, 59))
    assert cal.is_market_open(datetime(2026, 11, 20, 9, 15))
    assert cal.is_market_open(datetime(2026, 11, 20, 15, 29, 59))
    assert not cal.is_market_open(datetime(2026, 11, 20, 15, 30))
    assert not cal.is_market_open(datetime(2026, 11, 24, 11, 0))  # holiday
    assert cal.is_market_open(datetime(2026, 11, 20, 5, 0, tzinfo=UTC))  # 10:30 IST


def test_next_session_open_and_latest_session_day():
    assert cal.next_session_open(datetime(2026, 11, 20, 8, 0)) == cal.market_open_at(date(2026, 11, 20))
    assert cal.next_session_open(datetime(2026, 11, 20, 10, 0)) == cal.market_open_at(date(2026, 11, 23))
    assert cal.next_session_open(datetime(2026, 11, 23, 16, 0)) == cal.market_open_at(date(2026, 11, 25))
    assert cal.latest_session_day(datetime(2026, 11, 21, 12, 0)) == date(2026, 11, 20)
    assert cal.latest_session_day(datetime(2026, 11, 23, 9, 0)) == date(2026, 11, 20)
    assert cal.latest_session_day(datetime(2026, 11, 23, 9, 15)) == date(2026, 11, 23)


def test_expiry_weekdays_today_are_nse_tuesday_and_bse_thursday():
    assert cal.expiry_weekday(NIFTY, date(2026, 1, 1)) == cal.TUESDAY
    assert cal.expiry_weekday(BANKNIFTY, date(2026, 1, 1)) == cal.TUESDAY
    assert cal.expiry_weekday(SENSEX, date(2026, 1, 1)) == cal.THURSDAY
    assert cal.expiry_weekday(NIFTY, date(2025, 8, 1)) == cal.THURSDAY  # before 1 Sep 2025
    assert cal.expiry_weekday(SENSEX, date(2025, 8, 1)) == cal.TUESDAY
    with pytest.raises(ValueError):
        cal.expiry_weekday("INDIAVIX", date(2026, 1, 1))


def test_weekly_expiry_moves_to_previous_trading_day_on_holiday():
    # Holi on Tuesday 3 Mar 2026: NIFTY's weekly expires Monday 2 Mar
    assert cal.weekly_expiries(NIFTY, date(2026, 2, 26), 2) == [date(2026, 3, 2), date(2026, 3, 10)]
    # Maharashtra civic polls on Thursday 15 Jan 2026: SENSEX weekly moved to Wednesday 14 Jan (as BSE did)
    assert cal.weekly_expiries(SENSEX, date(2026, 1, 12), 1) == [date(2026, 1, 14)]


def test_monthly_expiry_is_last_weekday_moved_back_over_holidays():
    assert cal.monthly_expiry(NIFTY, 2026, 3) == date(2026, 3, 30)  # last Tuesday 31 Mar is a holiday
    assert cal.monthly_expiry(NIFTY, 2026, 11) == date(2026, 11, 23)  # 24 Nov Guru Nanak Jayanti
    assert cal.monthly_expiry(NIFTY, 2026, 12) == date(2026, 12, 29)
    assert cal.monthly_expiry(SENSEX, 2026, 12) == date(2026, 12, 31)
    assert cal.monthly_expiry(NIFTY, 2025, 8) == date(2025, 8, 28)  # old Thursday rule
    assert cal.monthly_expiry(NIFTY, 2025, 9) == date(2025, 9, 30)
    assert cal.monthly_expiries(BANKNIFTY, date(2026, 11, 21), 3) == [
        date(2026, 11, 23), date(2026, 12, 29), date(2027, 1, 25)]  # 26 Jan 2027 is Republic Day


def test_expiry_day_itself_is_included():
    assert cal.weekly_expiries(NIFTY, date(2026, 12, 8), 1) == [date(2026, 12, 8)]
    assert cal.monthly_expiries(SENSEX, date(2026, 12, 31), 1) == [date(2026, 12, 31)]


def test_weeklies_only_for_weekly_indices():
    for index in (BANKNIFTY, FINNIFTY, MIDCPNIFTY):
        assert cal.weekly_expiries(index, date(2026, 11, 21), 4) == []
    assert len(cal.weekly_expiries(NIFTY, date(2026, 11, 21), 4)) == 4


def test_weekly_series_with_and_without_the_monthly_date():
    with_monthly = cal.weekly_expiries(NIFTY, date(2026, 11, 21), 6)
    assert with_monthly[0] == date(2026, 11, 23) and cal.is_monthly_expiry(NIFTY, with_monthly[0])
    only_weekly = cal.weekly_expiries(NIFTY, date(2026, 11, 21), 4, include_monthly=False)
    assert only_weekly == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22)]
    assert not any(cal.is_monthly_expiry(NIFTY, day) for day in only_weekly)


def test_listed_expiries_follow_the_contract_specification():
    nifty = cal.listed_expiries(NIFTY, date(2026, 11, 21))
    assert nifty == [date(2026, 11, 23), date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15),
                     date(2026, 12, 22), date(2026, 12, 29), date(2027, 1, 25)]
    assert cal.listed_expiries(FINNIFTY, date(2026, 11, 21)) == [
        date(2026, 11, 23), date(2026, 12, 29), date(2027, 1, 25)]
    sensex = cal.listed_expiries(SENSEX, date(2026, 11, 21))
    assert len(sensex) == 7 and all(day.weekday() in (cal.WEDNESDAY, cal.THURSDAY) for day in sensex)


def test_import_is_cheap():
    code = ("import sys; import op_trading.market.calendar as c; "
            "print(c.holidays.cache_info().currsize, 'numpy' in sys.modules, 'kiteconnect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "False", "False"]
