"""Expiry buckets (this_week, next_week, this_month, next_month), derived from the expiries listed in the dump.

The rule is the original collectors' (upstream `expiry_discovery.py`), kept for field compatibility:

* An expiry counts from its listing until the end of its expiry day (IST date): on expiry day the expiring
  contract is still `this_week` / `this_month`.
* `this_week` / `next_week` are the first and second upcoming expiries of any kind. They exist only for an
  underlying whose dump shows weeklies (some calendar month with more than one expiry); today that is NIFTY and
  SENSEX. Monthly-only underlyings (BANKNIFTY, FINNIFTY, MIDCPNIFTY) get no week buckets at all.
* A month's monthly contract is the last expiry listed in that calendar month. `this_month` is the monthly of the
  earliest month that still has an upcoming expiry, `next_month` the one after.
* Consequences, on purpose: in the week of a monthly expiry `this_week` and `this_month` are the same contract
  (both are collected, each under its own bucket). Once the monthly has expired, `this_month` is the next calendar
  month's monthly and `next_month` the month after — there is no empty `this_month` at the end of a month.

Holiday shifts need no special case: the dump lists the shifted date and the rule only looks at dates.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH = "this_week", "next_week", "this_month", "next_month"
BUCKETS: tuple[str, ...] = (THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH)
WEEK_BUCKETS: tuple[str, ...] = (THIS_WEEK, NEXT_WEEK)
MONTH_BUCKETS: tuple[str, ...] = (THIS_MONTH, NEXT_MONTH)


def upcoming(expiries: Iterable[date], today: date) -> list[date]:
    """Distinct expiries on or after `today`, earliest first."""
    return sorted({expiry for expiry in expiries if expiry >= today})


def monthly_expiries(expiries: Iterable[date]) -> list[date]:
    """The last listed expiry of each calendar month, earliest first."""
    last_of_month: dict[tuple[int, int], date] = {}
    for expiry in expiries:
        key = (expiry.year, expiry.month)
        if key not in last_of_month or expiry > last_of_month[key]:
            last_of_month[key] = expiry
    return sorted(last_of_month.values())


def has_weeklies(expiries: Iterable[date]) -> bool:
    """True when some calendar month lists more than one expiry, i.e. the underlying has weekly contracts."""
    seen: set[tuple[int, int]] = set()
    for expiry in set(expiries):
        key = (expiry.year, expiry.month)
        if key in seen:
            return True
        seen.add(key)
    return False


def assign_buckets(expiries: Iterable[date], today: date, weekly: bool | None = None) -> dict[str, date]:
    """Bucket name -> expiry date, in BUCKETS order; buckets without a contract are absent.

    `weekly` None means "derive from the dump" (see `has_weeklies`); True/False forces the week buckets on/off.
    """
    future = upcoming(expiries, today)
    if weekly is None:
        weekly = has_weeklies(future)
    buckets: dict[str, date] = {}
    if weekly:
        buckets.update(zip(WEEK_BUCKETS, future[:2]))
    buckets.update(zip(MONTH_BUCKETS, monthly_expiries(future)[:2]))
    return {name: buckets[name] for name in BUCKETS if name in buckets}


def days_to_expiry(expiry: date, today: date) -> int:
    """Calendar days from the IST date `today` to the expiry date (0 on expiry day)."""
    return (expiry - today).days
