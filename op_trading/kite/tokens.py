"""The access-token store and the token state shown in every screen header.

Kite access tokens die at 06:00 IST the next morning (a regulatory rule, not "24 hours"), so the expiry is computed
from the issue time in IST, never from the machine's local time. The store is one JSON file, written atomically
with owner-only permissions, holding the token, the api_key it belongs to, the user and the times.

This module is imported to draw every header: stdlib and op_trading.config only (no kiteconnect, no requests).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from op_trading.config.fields import mask
from op_trading.errortext import error_line
from op_trading.market.calendar import IST

log = logging.getLogger(__name__)

EXPIRY_TIME_IST = time(6, 0)
STATUSES = ("valid", "expired", "missing", "invalid", "other_key")
LOGIN_HINT = "log in again (Production > Kite Connect authentication setup)"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC: the product only ever stores aware times, so naive means a bug upstream."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def expiry_for(issued_at: datetime) -> datetime:
    """The first 06:00 IST strictly after `issued_at` (a token issued at 06:00:00 lives until 06:00 tomorrow)."""
    issued_ist = _aware(issued_at).astimezone(IST)
    expiry = datetime.combine(issued_ist.date(), EXPIRY_TIME_IST, tzinfo=IST)
    if expiry <= issued_ist:
        expiry += timedelta(days=1)
    return expiry


@dataclass(frozen=True)
class TokenRecord:
    access_token: str = field(repr=False)
    api_key: str = field(repr=False)
    user_id: str
    user_name: str
    issued_at: datetime
    expires_at: datetime
    source: str  # "login", "manual" or "environment": how the token reached the store
    invalid_reason: str = ""  # set when Kite rejected the token; the file stays so the header can say why

    @classmethod
    def issued_now(cls, access_token: str, api_key: str, user_id: str = "", user_name: str = "",
                   source: str = "login", now: datetime | None = None) -> "TokenRecord":
        issued = _aware(now or now_utc())
        return cls(access_token, api_key, user_id, user_name, issued, expiry_for(issued), source)

    @property
    def masked_token(self) -> str:
        return mask(self.access_token)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["issued_at"] = self.issued_at.isoformat()
        data["expires_at"] = self.expires_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TokenRecord":
        issued = _aware(datetime.fromisoformat(data["issued_at"]))
        expires = data.get("expires_at")
        return cls(
            access_token=str(data["access_token"]),
            api_key=str(data["api_key"]),
            user_id=str(data.get("user_id") or ""),
            user_name=str(data.get("user_name") or ""),
            issued_at=issued,
            expires_at=_aware(datetime.fromisoformat(expires)) if expires else expiry_for(issued),
            source=str(data.get("source") or "login"),
            invalid_reason=str(data.get("invalid_reason") or ""),
        )


class TokenStore:
    """One owner-only JSON file. `problem` holds why the last `load()` could not read an existing file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.problem = ""

    @classmethod
    def from_settings(cls, settings) -> "TokenStore":
        return cls(settings.path("TOKEN_FILE"))

    def load(self) -> TokenRecord | None:
        self.problem = ""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            self.problem = f"cannot read {self.path.name}: {error.strerror or error}"
            return None
        try:
            return TokenRecord.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            self.problem = f"{self.path.name} is damaged"
            return None

    def save(self, record: TokenRecord) -> None:
        from op_trading.fileio import atomic_write_json

        # The folder holds nothing but secrets: owner-only where the OS has such modes (ignored on Windows).
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_json(self.path, record.to_json(), private=True)
        log.info("Kite access token %s stored for user %s (expires %s)", record.masked_token,
                 record.user_id or "?", record.expires_at.strftime("%Y-%m-%d %H:%M IST"))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def mark_invalid(self, reason: str, access_token: str | None = None) -> bool:
        """Record that Kite rejected the stored token. With `access_token`, only when it is the stored one.

        Returns whether the store changed. Called from the client's session-expiry hook, so it never raises.
        """
        try:
            record = self.load()
            if record is None or (access_token is not None and record.access_token != access_token):
                return False
            if record.invalid_reason:
                return False
            self.save(replace(record, invalid_reason=reason or "rejected by Kite"))
            log.warning("Kite access token %s marked invalid: %s", record.masked_token, reason)
            return True
        except OSError as error:
            log.error("could not mark the Kite token invalid: %s", error_line(error))
            return False


@dataclass(frozen=True)
class TokenState:
    status: str  # one of STATUSES
    summary: str  # short, for the screen header
    detail: str = ""  # a sentence saying what it means and what to do
    record: TokenRecord | None = field(default=None, repr=False)
    remaining: timedelta | None = None

    @property
    def usable(self) -> bool:
        return self.status == "valid"


def format_remaining(remaining: timedelta) -> str:
    minutes = max(0, int(remaining.total_seconds() // 60))
    return f"{minutes // 60}h {minutes % 60:02d}m"


def token_state(settings, now: datetime | None = None, store: TokenStore | None = None) -> TokenState:
    """What the header shows about the Kite token. Never raises for a missing or damaged file."""
    store = store or TokenStore.from_settings(settings)
    record = store.load()
    if record is None:
        if store.problem:
            return TokenState("invalid", "unreadable", f"Token store: {store.problem}; {LOGIN_HINT}.")
        return TokenState("missing", "missing", f"No Kite access token stored; {LOGIN_HINT}.")
    return state_of(record, settings["KITE_API_KEY"], now)


def state_of(record: TokenRecord, api_key: str | None, now: datetime | None = None) -> TokenState:
    now = _aware(now or now_utc())
    if record.api_key != api_key:
        summary = f"stored for another api_key ({mask(record.api_key) or 'unknown'})"
        detail = ("The stored token belongs to a different Kite app than KITE_API_KEY"
                  if api_key else "KITE_API_KEY is not set, so the stored token cannot be used")
        return TokenState("other_key", summary, f"{detail}; {LOGIN_HINT}.", record)
    if record.invalid_reason:
        return TokenState("invalid", "invalid (rejected by Kite)",
                          f"Kite rejected the stored token ({record.invalid_reason}); {LOGIN_HINT}.", record)
    expiry_ist = record.expires_at.astimezone(IST)
    if now >= record.expires_at:
        when = expiry_ist.strftime("%H:%M IST")
        if expiry_ist.date() != now.astimezone(IST).date():
            when += expiry_ist.strftime(" on %d %b")
        return TokenState("expired", f"expired at {when}",
                          f"Kite tokens end at 06:00 IST each day; {LOGIN_HINT}.", record)
    remaining = record.expires_at - now
    summary = f"valid until {expiry_ist.strftime('%H:%M IST')} ({format_remaining(remaining)})"
    user = f" for {record.user_id}" if record.user_id else ""
    return TokenState("valid", summary, f"Token {record.masked_token}{user} is valid until "
                      f"{expiry_ist.strftime('%d %b %H:%M IST')}.", record, remaining)
