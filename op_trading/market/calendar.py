"""The IST trading calendar: market hours, NSE/BSE trading holidays and index option expiry dates.

Facts (see /work/shared/reference/domain.md §3):
- Normal market 09:15-15:30 IST, Monday to Friday, except exchange trading holidays. The holiday list ships with the
  product (`NSE_HOLIDAYS` below, 2025 and 2026 complete, with its source and retrieval date); it is never fetched at
  run time. NSE had not published its 2027 list when this was written (it usually does in December), so 2027 holds
  only the fixed-date holidays that fall on weekdays (Republic Day, Ambedkar Jayanti; NSE has closed on both in
  every year listed), marked provisional. A date outside the complete years is not covered: `holidays_cover(d)`
  says so, `coverage_warning(d)` gives the message, and the first such date of a year is logged as a warning
  (only weekends and the provisional days are non-trading days there).
- Since 1 Sep 2025 NSE index options expire on Tuesday and BSE (SENSEX) on Thursday: weekly contracts every week, the
  monthly contract on the last such weekday of the month. An expiry that falls on a trading holiday moves to the
  previous trading day. Weeklies exist only for indices with ``weekly_expiry=True`` in `op_trading.market.indices`.
- Earlier rules (NSE Thursday; BSE Friday until 2024, Tuesday Jan-Aug 2025) are kept so past dates give plausible
  answers; the week in which a rule changed is approximate.

Pure standard library, nothing computed at import. Naive datetimes are taken to be IST.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from op_trading.market.indices import Index


# India has had no daylight saving since 1945, so a fixed offset is exact — and needs no tz database (Windows).
IST = timezone(timedelta(hours=5, minutes=30), "IST")
MARKET_OPEN = time(9, 15)
MARKET_CLOSE = time(15, 30)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)

# NSE trading holidays (Equity and Equity Derivatives) that fall on weekdays; BSE closes on the same days. Muhurat
# special sessions are not trading days here. Update each December from the NSE circular for the next year.
HOLIDAY_SOURCE = {
    "source": "NSE circulars 'Trading holidays for the calendar year' (2026: NSE/CMTR/71775, and its partial "
              "modification of 12-Jan-2026 adding 15-Jan-2026); "
              "www.nseindia.com/resources/exchange-communication-holidays",
    "retrieved": "2026-11-21",
    "verified": "both years cross-checked against two independent copies of the NSE lists and news reports of the "
                "12-Jan-2026 circular; the NSE site itself could not be reached",
}
HOLIDAY_YEARS = (2025, 2026)  # years whose complete NSE list is below
# Years with only the fixed-date holidays that fall on weekdays, until NSE's circular is added (then move the year
# to HOLIDAY_YEARS). Searched 2026-12-02: no 2027 circular found, only unsourced projections.
PROVISIONAL_YEARS = (2027,)
NSE_HOLIDAYS = {
    "2025-02-26": "Mahashivratri",
    "2025-03-14": "Holi",
    "2025-03-31": "Id-Ul-Fitr (Ramadan Eid)",
    "2025-04-10": "Shri Mahavir Jayanti",
    "2025-04-14": "Dr. Baba Saheb Ambedkar Jayanti",
    "2025-04-18": "Good Friday",
    "2025-05-01": "Maharashtra Day",
    "2025-08-15": "Independence Day",
    "2025-08-27": "Ganesh Chaturthi",
    "2025-10-02": "Mahatma Gandhi Jayanti/Dussehra",
    "2025-10-21": "Diwali Laxmi Pujan",
    "2025-10-22": "Diwali-Balipratipada",
    "2025-11-05": "Prakash Gurpurb Sri Guru Nanak Dev",
    "2025-12-25": "Christmas",
    "2026-01-15": "Municipal Corporation Election - Maharashtra",
    "2026-01-26": "Republic Day",
    "2026-03-03": "Holi",
    "2026-03-26": "Shri Ram Navami",
    "2026-03-31": "Shri Mahavir Jayanti",
    "2026-04-03": "Good Friday",
    "2026-04-14": "Dr. Baba Saheb Ambedkar Jayanti",
    "2026-05-01": "Maharashtra Day",
    "2026-05-28": "Bakri Id",
    "2026-06-26": "Muharram",
    "2026-09-14": "Ganesh Chaturthi",
    "2026-10-02": "Mahatma Gandhi Jayanti",
    "2026-10-20": "Dussehra",
    "2026-11-10": "Diwali-Balipratipada",
    "2026-11-24": "Prakash Gurpurb Sri Guru Nanak Dev",
    "2026-12-25": "Christmas",
    "2027-01-26": "Republic Day (provisional: fixed-date holiday; 2027 circular not yet in this list)",
    "2027-04-14": "Dr. Baba Saheb Ambedkar Jayanti (provisional: fixed-date holiday)",
}
log = logging.getLogger(__name__)

# Expiry weekday by options exchange, newest rule first: (effective from, weekday).
_EXPIRY_RULES: dict[str, tuple[tuple[date, int], ...]] = {
    "NFO": ((date(2025, 9, 1), TUESDAY), (date.min, THURSDAY)),
    "BFO": ((date(2025, 9, 1), THURSDAY), (date(2025, 1, 1), TUESDAY), (date.min, FRIDAY)),
}
_SEARCH_LIMIT = 30  # no run of non-trading days is anywhere near this long


# --- time ---------------------------------------------------------------------------------------------------------

def now_ist() -> datetime:
    return datetime.now(IST)


def to_ist(moment: datetime) -> datetime:
    """An aware IST datetime; a naive one is taken to be IST already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=IST)
    return moment.astimezone(IST)


def _as_date(day: date | datetime) -> date:
    return to_ist(day).date() if isinstance(day, datetime) else day


# --- holidays -----------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def holidays() -> dict[date, str]:
    """Weekday trading holidays: date -> occasion."""
    return {date.fromisoformat(day): name for day, name in NSE_HOLIDAYS.items()}


def holiday_years() -> tuple[int, ...]:
    return HOLIDAY_YEARS


def holidays_cover(day: date | datetime) -> bool:
    """True when the shipped holiday list covers this date's year completely."""
    return _as_date(day).year in holiday_years()


def coverage_warning(day: date | datetime) -> str | None:
    """A one-line warning when the holiday list does not cover this date's year completely, else None."""
    year = _as_date(day).year
    if year in HOLIDAY_YEARS:
        return None
    known = ("only its fixed-date holidays (Republic Day, Ambedkar Jayanti) are known"
             if year in PROVISIONAL_YEARS else "none of its trading holidays are known")
    return (f"The NSE holiday calendar has no complete list for {year} (complete: "
            f"{', '.join(map(str, HOLIDAY_YEARS))}): {known}, so other exchange holidays count as trading days; "
            "add NSE's list for the year to op_trading/market/calendar.py")


@lru_cache(maxsize=None)
def _warn_uncovered(year: int) -> None:
    """Logged once per year and process: the first date of a year the list does not cover."""
    log.warning("%s", coverage_warning(date(year, 1, 1)))


def holiday_name(day: date | datetime) -> str | None:
    return holidays().get(_as_date(day))


# --- trading days -------------------------------------------------------------------------------------------------

def is_trading_day(day: date | datetime, warn: bool = True) -> bool:
    """`warn=False` for tables built over a range of years (the simulator's), where an uncovered year is expected,
    not a date the user met."""
    day = _as_date(day)
    if warn and day.year not in HOLIDAY_YEARS:
        _warn_uncovered(day.year)
    return day.weekday() < 5 and day not in holidays()


def previous_trading_day(day: date | datetime) -> date:
    """The last trading day strictly before `day`."""
    return _step_to_trading_day(_as_date(day), -1)


def next_trading_day(day: date | datetime) -> date:
    """The first trading day strictly after `day`."""
    return _step_to_trading_day(_as_date(day), +1)


def _step_to_trading_day(day: date, step: int) -> date:
    for _ in range(_SEARCH_LIMIT):
        day += timedelta(days=step)
        if is_trading_day(day):
            return day
    raise ValueError(f"no trading day within {_SEARCH_LIMIT} days of {day}")  # pragma: no cover - data error


def on_or_before_trading_day(day: date | datetime) -> date:
    """`day` itself when it is a trading day, else the previous trading day (how expiries move on holidays)."""
    day = _as_date(day)
    return day if is_trading_day(day) else previous_trading_day(day)


def trading_days(start: date | datetime, end: date | datetime, warn: bool = True) -> list[date]:
    """Trading days from `start` to `end`, both included."""
    day, last = _as_date(start), _as_date(end)
    found = []
    while day <= last:
        if is_trading_day(day, warn):
            found.append(day)
        day += timedelta(days=1)
    return found


# --- sessions -----------------------------------------------------------------------------------------------------

def market_open_at(day: date | datetime) -> datetime:
    return datetime.combine(_as_date(day), MARKET_OPEN, IST)


def market_close_at(day: date | datetime) -> datetime:
    return datetime.combine(_as_date(day), MARKET_CLOSE, IST)


def is_market_open(moment: datetime | None = None) -> bool:
    """True from 09:15:00 (included) to 15:30:00 (excluded) IST on a trading day."""
    moment = to_ist(moment) if moment is not None else now_ist()
    return is_trading_day(moment) and MARKET_OPEN <= moment.time() < MARKET_CLOSE


def next_session_open(moment: datetime | None = None) -> datetime:
    """The earliest session open at or after `moment` (during a session: the next day's open)."""
    moment = to_ist(moment) if moment is not None else now_ist()
    today_open = market_open_at(moment)
    if is_trading_day(moment) and moment <= today_open:
        return today_open
    return market_open_at(next_trading_day(moment))


def latest_session_day(moment: datetime | None = None) -> date:
    """The trading day whose session is running at `moment`, or else the one that ended most recently."""
    moment = to_ist(moment) if moment is not None else now_ist()
    if is_trading_day(moment) and moment >= market_open_at(moment):
        return moment.date()
    return previous_trading_day(moment)


# --- expiries -----------------------------------------------------------------------------------------------------

def _index(index: "Index | str") -> "Index":
    if isinstance(index, str):
        from op_trading.market.indices import by_key

        return by_key(index)
    return index


def expiry_weekday(index: "Index | str", on: date) -> int:
    """The weekday (Monday = 0) of the index's expiries under the rule in force on `on`."""
    index = _index(index)
    if index.options_exchange is None or index.expiry_weekday is None:
        raise ValueError(f"{index.key} has no options")
    for since, weekday in _EXPIRY_RULES.get(index.options_exchange, ((date.min, index.expiry_weekday),)):
        if on >= since:
            return weekday
    raise AssertionError("rules end with date.min")  # pragma: no cover


def monthly_expiry(index: "Index | str", year: int, month: int) -> date:
    """The monthly contract's expiry: the month's last expiry weekday, moved back over holidays."""
    first = date(year, month, 1)
    weekday = expiry_weekday(index, first)
    last_day = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    last = last_day - timedelta(days=(last_day.weekday() - weekday) % 7)
    return on_or_before_trading_day(last)


def is_monthly_expiry(index: "Index | str", day: date) -> bool:
    """True when `day` is the monthly contract's expiry (its symbol uses the YYMMM form)."""
    return monthly_expiry(index, day.year, day.month) == day


def monthly_expiries(index: "Index | str", from_date: date | datetime, count: int) -> list[date]:
    """The next `count` monthly expiries on or after `from_date` (an expiry day itself is included)."""
    start = _as_date(from_date)
    year, month, found = start.year, start.month, []
    while len(found) < count:
        expiry = monthly_expiry(index, year, month)
        if expiry >= start:
            found.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def weekly_expiries(index: "Index | str", from_date: date | datetime, count: int,
                    include_monthly: bool = True) -> list[date]:
    """The next `count` expiries of the weekly series on or after `from_date`; [] for indices without weeklies.

    Every week has one expiry; in the month's last expiry week that date is the monthly contract. With
    ``include_monthly=False`` those dates are skipped, giving only contracts that use the weekly symbol form.
    """
    index = _index(index)
    if not index.weekly_expiry:
        return []
    start = _as_date(from_date)
    week = start - timedelta(days=start.weekday())
    found: list[date] = []
    while len(found) < count:
        candidate = week + timedelta(days=expiry_weekday(index, week))
        expiry = on_or_before_trading_day(candidate)
        if expiry >= start and (include_monthly or not is_monthly_expiry(index, expiry)):
            found.append(expiry)
        week += timedelta(days=7)
    return found


WEEKLY_CONTRACTS = 4  # weekly contracts listed besides the monthlies (NSE contract specification)
MONTHLY_CONTRACTS = 3


def listed_expiries(index: "Index | str", on_date: date | datetime) -> list[date]:
    """Expiry dates of the option contracts trading on `on_date`: 4 weeklies (if any) plus 3 monthlies, sorted."""
    index = _index(index)
    monthlies = monthly_expiries(index, on_date, MONTHLY_CONTRACTS)
    weeklies = weekly_expiries(index, on_date, WEEKLY_CONTRACTS, include_monthly=False)
    return sorted(set(monthlies) | set(weeklies))
