"""Day-open baselines that survive restarts: first OI seen today per contract, first ATM IV per index bucket.

The originals kept these in process memory, so a restart at noon made noon the "open". Here they live in one
JSON file per IST day and data source, `{DATA_DIR}/state/baselines/{source}_{YYYY-MM-DD}.json`, rewritten
atomically whenever a new baseline is recorded. Mock and live baselines never mix. Kite's quote has no
previous-day OI, so "open" means the first value seen on this IST date (before 09:15 that is yesterday's close OI,
which is the exchange's own baseline). The file also keeps the last spot per index so the first cycle after a
restart can still plan its single quote call.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import date
from pathlib import Path
from typing import Any

from op_trading.errortext import error_line
from op_trading.fileio import atomic_write_json

log = logging.getLogger(__name__)


class DayBaselines:
    def __init__(self, folder: Path | None, source: str, keep_days: int = 10):
        self.folder = folder
        self.source = source
        self.keep_days = keep_days
        self.day: date | None = None
        self.oi_open: dict[str, int] = {}
        self.iv_open: dict[str, float] = {}
        self.spots: dict[str, float] = {}
        self._dirty = False

    def path_for(self, day: date) -> Path | None:
        return None if self.folder is None else self.folder / f"{self.source}_{day.isoformat()}.json"

    def use_day(self, day: date) -> None:
        """Switch to `day`: load its file if one exists, else start empty (keeping last spots as a hint)."""
        if day == self.day:
            return
        self.day, self.oi_open, self.iv_open, self._dirty = day, {}, {}, False
        path = self.path_for(day)
        if path is None or not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.oi_open = {str(k): int(v) for k, v in data.get("oi_open", {}).items()}
            self.iv_open = {str(k): float(v) for k, v in data.get("iv_open", {}).items()}
            self.spots.update({str(k): float(v) for k, v in data.get("spots", {}).items()})
        except (OSError, ValueError, TypeError, AttributeError) as error:
            log.warning("baselines file %s is unreadable (%s); starting the day's baselines afresh", path,
                        error_line(error))
            self.oi_open, self.iv_open = {}, {}

    def observe_oi(self, key: str, oi: int | None) -> int | None:
        """The day-open OI of a contract (exchange:tradingsymbol), recording `oi` if it is the first seen today."""
        if key not in self.oi_open and oi is not None:
            self.oi_open[key] = oi
            self._dirty = True
        return self.oi_open.get(key)

    def observe_iv(self, index_key: str, bucket: str, iv: float | None) -> float | None:
        """The day-open ATM IV of a bucket (original key `{IDX}_{bucket}_iv_open`)."""
        key = f"{index_key}_{bucket}_iv_open"
        if key not in self.iv_open and iv is not None and math.isfinite(iv):
            self.iv_open[key] = iv
            self._dirty = True
        return self.iv_open.get(key)

    def note_spot(self, index_key: str, spot: float) -> None:
        self.spots[index_key] = spot  # saved with the next baseline change; a slightly old hint is fine

    def save(self) -> bool:
        """Write the file if anything new was recorded; True when written."""
        path = self.path_for(self.day) if self.day else None
        if not self._dirty or path is None:
            return False
        atomic_write_json(path, self._payload())
        self._dirty = False
        self._prune()
        return True

    def _payload(self) -> dict[str, Any]:
        return {"day": self.day.isoformat() if self.day else None, "source": self.source,
                "oi_open": self.oi_open, "iv_open": self.iv_open, "spots": self.spots}

    def _prune(self) -> None:
        files = sorted(self.folder.glob(f"{self.source}_????-??-??.json")) if self.folder else []
        for old in files[:-self.keep_days]:
            old.unlink(missing_ok=True)
