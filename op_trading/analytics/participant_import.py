"""Participant files into the product: optionally download them from NSE, then import everything in the folder.

Folder (PARTICIPANT_DATA_DIR) layout, file names as NSE publishes them:
- ``fao_participant_oi_DDMMYYYY.csv`` and ``fao_participant_vol_DDMMYYYY.csv`` (participant-wise OI and volume);
- ``fii_dii_DDMMYYYY.json``: NSE's FII/DII provisional cash activity, the bare JSON array the API serves, saved
  under the date it carries.
A user can drop files there by hand; the simulator (`op_trading.sandbox.participants`) writes the same files for
offline work and lists them in ``op_sandbox_manifest.json``, so they are imported with source "mock", never as NSE
data.

Download (PARTICIPANT_DOWNLOAD_ENABLED): plain urllib with browser-like headers and a short timeout, one request at
a time with a pause between them. Only trading days of the last `download_days` without a file are fetched. A 404 is
normal before NSE publishes (about 18:30–19:30 IST for the participant files, UNVERIFIED) or on a holiday. When NSE
cannot be reached, one warning says so and the import carries on with the files already there; nothing raises.
A response that does not parse as the expected file (an HTML block page, say) is not saved.

Import keeps files of the last PARTICIPANT_HISTORY_DAYS days, writes them to the store (measurements
`participant_positions` and `fii_dii_cash`) and reports the latest day's positions with the day-over-day change
against the previous file (from the folder, else from the store).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from op_trading import outcome
from op_trading.analytics import common
from op_trading.analytics import participants as pa
from op_trading.fileio import atomic_write_text
from op_trading.market import calendar
from op_trading.outcome import Check, Outcome, Status

log = logging.getLogger(__name__)

ARCHIVE_ROOT = "https://nsearchives.nseindia.com/content/nsccl"
NSE_HOME = "https://www.nseindia.com"
FII_DII_PATH = "/api/fiidiiTradeReact"
MANIFEST = "op_sandbox_manifest.json"
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0 Safari/537.36",
    "Accept": "text/csv,application/json,text/html;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
    "Referer": "https://www.nseindia.com/",
}


def participant_file_name(kind: str, day: date) -> str:
    return f"fao_participant_{kind}_{day:%d%m%Y}.csv"


def cash_file_name(day: date) -> str:
    return f"fii_dii_{day:%d%m%Y}.json"


class Offline(Exception):
    """NSE could not be reached at all (no network, DNS, refused, timed out)."""


@dataclass
class ImportResult:
    reports: list[pa.ParticipantReport] = field(default_factory=list)  # oldest first
    cash: list[pa.CashReport] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    points_written: int = 0

    def latest(self, kind: str = "oi") -> tuple[pa.ParticipantReport | None, pa.ParticipantReport | None]:
        """The latest report of a kind and the one before it."""
        reports = [report for report in self.reports if report.kind == kind]
        if not reports:
            return None, None
        same_source = [report for report in reports[:-1] if report.source == reports[-1].source]
        return reports[-1], (same_source[-1] if same_source else None)  # never mock against NSE data


class ParticipantImporter:
    def __init__(self, folder: Path, *, enabled: bool = True, download_enabled: bool = False,
                 history_days: int = 365, categories: tuple[str, ...] = pa.CATEGORIES, store: Any = None,
                 archive_root: str = ARCHIVE_ROOT, nse_home: str = NSE_HOME, timeout: float = 5.0,
                 download_days: int = 5, pause_seconds: float = 0.5):
        self.folder, self.enabled, self.download_enabled = Path(folder), enabled, download_enabled
        self.history_days, self.categories, self.store = history_days, categories, store
        self.archive_root, self.nse_home = archive_root.rstrip("/"), nse_home.rstrip("/")
        self.timeout, self.download_days, self.pause_seconds = timeout, download_days, pause_seconds

    @classmethod
    def from_settings(cls, settings, store: Any = None, **kwargs: Any) -> "ParticipantImporter":
        return cls(settings.path("PARTICIPANT_DATA_DIR"), enabled=settings["ENABLE_PARTICIPANT_ANALYSIS"],
                   download_enabled=settings["PARTICIPANT_DOWNLOAD_ENABLED"],
                   history_days=settings["PARTICIPANT_HISTORY_DAYS"], categories=pa.enabled_categories(settings),
                   store=store, **kwargs)

    # ----- the whole step -----

    def run(self, today: date | None = None, alerts: Any = None) -> Outcome:
        """Download (when enabled), import, store, and show the latest positions; feeds `alerts` when given."""
        if not self.enabled:
            return outcome.skipped("Participant analysis is off (ENABLE_PARTICIPANT_ANALYSIS=false)")
        today = today or calendar.now_ist().date()
        checks = self.download(today) if self.download_enabled else [
            Check("NSE download", Status.SKIPPED, "off (PARTICIPANT_DOWNLOAD_ENABLED=false); using the folder")]
        result = self.import_folder(today)
        result.checks[:0] = checks
        latest, previous = result.latest("oi")
        previous = previous or self._previous_from_store(latest)
        cash = result.cash[-1] if result.cash else None
        tables = []
        if latest is not None:
            divergence = pa.pro_client_divergence(latest, previous) if previous else None
            tables.append(pa.participant_table(pa.participant_positions(latest, previous, self.categories),
                                               divergence))
            if alerts is not None and divergence is not None:
                alerts.submit(alerts.rules.divergence(divergence))
        cash_categories = tuple(name for name in ("FII", "DII") if name in self.categories)
        if cash is not None and cash_categories:
            tables.append(pa.cash_table(cash, cash_categories))
            if alerts is not None:
                alerts.submit(alerts.rules.cash(cash, cash_categories))
        message = (f"Participant data up to {latest.day:%d-%b-%Y}" if latest else
                   f"No participant files in {self.folder}")
        return outcome.from_checks(result.checks, message, tables=tuple(tables), data={
            "latest_day": latest.day.isoformat() if latest else None, "files": len(result.reports),
            "cash_days": len(result.cash), "points_written": result.points_written})

    # ----- import -----

    def _sources(self) -> dict[str, str]:
        manifest = self.folder / MANIFEST
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            return {}
        return {str(name): "mock" for name in listed}

    def import_folder(self, today: date) -> ImportResult:
        result = ImportResult()
        if not self.folder.is_dir():
            result.checks.append(Check("Participant folder", Status.WARN,
                                       f"{self.folder} does not exist; put NSE files there or enable the download"))
            return result
        oldest, sources, old = today - timedelta(days=self.history_days), self._sources(), 0
        for path in sorted(self.folder.iterdir()):
            parsed = self._read(path, sources.get(path.name, "nse"), result)
            if parsed is None:
                continue
            if parsed.day < oldest:
                old += 1
                continue
            (result.cash if isinstance(parsed, pa.CashReport) else result.reports).append(parsed)
        result.reports.sort(key=lambda report: (report.kind, report.day))
        result.cash.sort(key=lambda report: report.day)
        if old:
            result.checks.append(Check("History window", Status.OK,
                                       f"{old} file(s) older than {self.history_days} days left out"))
        points = [point for report in result.reports for point in pa.report_points(report)]
        points += [point for report in result.cash for point in pa.cash_points(report)]
        result.points_written = common.write_points(self.store, points) if points else 0
        return result

    def _read(self, path: Path, source: str, result: ImportResult) -> Any:
        is_participant = pa.name_date(path.name) is not None
        is_cash = path.name.startswith("fii_dii_") and path.suffix == ".json"
        if not (is_participant or is_cash):
            return None
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            parsed = (pa.parse_participant_csv(text, path.name, source) if is_participant
                      else pa.parse_fii_dii_json(text, path.name, source))
        except (OSError, pa.ParticipantDataError) as error:
            result.checks.append(Check(path.name, Status.FAILED, str(error)))
            return None
        detail = f"{parsed.day:%d-%b-%Y}, source {source}"
        status = Status.WARN if parsed.warnings else Status.OK
        result.checks.append(Check(path.name, status, "; ".join((detail,) + parsed.warnings)))
        return parsed

    def _previous_from_store(self, latest: pa.ParticipantReport | None) -> pa.ParticipantReport | None:
        if latest is None or self.store is None:
            return None
        start = common.session_close(latest.day) - timedelta(days=self.history_days)
        rows = common.query(self.store, pa.MEASUREMENT, start=start, end=common.session_close(latest.day),
                            tags={"kind": latest.kind, "source": latest.source})
        earlier = [report for report in pa.reports_from_rows(rows, latest.kind) if report.day < latest.day]
        return earlier[-1] if earlier else None

    # ----- download -----

    def download(self, today: date) -> list[Check]:
        """Fetch missing files of the recent trading days and today's FII/DII cash data; never raises."""
        self.folder.mkdir(parents=True, exist_ok=True)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        days = calendar.trading_days(today - timedelta(days=self.download_days * 2 + 4), today)[-self.download_days:]
        wanted = [participant_file_name(kind, day) for day in days for kind in ("oi", "vol")]
        missing = [name for name in wanted if not (self.folder / name).exists()]
        checks = []
        try:
            for name in missing:
                checks.append(self._fetch_participant(opener, name))
            checks.append(self._fetch_cash(opener))
        except Offline as error:
            checks.append(Check("NSE download", Status.WARN,
                                f"NSE not reachable ({error}); working from the files already in {self.folder}"))
        if not missing:
            checks.insert(0, Check("NSE participant files", Status.OK, "all recent files already present"))
        return checks

    def _get(self, opener, url: str) -> bytes | None:
        """The body, None on 404, Offline when the site cannot be reached; other HTTP errors as RuntimeError."""
        if self.pause_seconds:
            time.sleep(self.pause_seconds)  # one request at a time, spaced: NSE blocks bursts
        request = urllib.request.Request(url, headers=BROWSER_HEADERS)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise RuntimeError(f"HTTP {error.code} from {url}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise Offline(getattr(error, "reason", None) or error) from None

    def _fetch_participant(self, opener, name: str) -> Check:
        url, label = f"{self.archive_root}/{name}", f"Download {name}"
        try:
            body = self._get(opener, url)
            if body is None:
                return Check(label, Status.SKIPPED, "not published yet (NSE posts it after the close, ~18:30 IST)")
            text = body.decode("utf-8-sig", errors="replace")
            report = pa.parse_participant_csv(text, name, "nse")
        except (RuntimeError, pa.ParticipantDataError) as error:
            return Check(label, Status.WARN, f"{error}; download it from {url} into {self.folder} by hand")
        atomic_write_text(self.folder / name, text)
        log.info("downloaded %s", name)
        return Check(label, Status.OK, f"downloaded ({report.day:%d-%b-%Y})")

    def _fetch_cash(self, opener) -> Check:
        url = self.nse_home + FII_DII_PATH
        try:
            self._get(opener, self.nse_home + "/")  # the API answers only with the cookies of a prior page visit
            body = self._get(opener, url)
            if body is None:
                return Check("Download FII/DII cash", Status.SKIPPED, "NSE has no FII/DII data right now")
            text = body.decode("utf-8-sig", errors="replace")
            report = pa.parse_fii_dii_json(text, "NSE fiidiiTradeReact", "nse")
        except (RuntimeError, pa.ParticipantDataError) as error:
            return Check("Download FII/DII cash", Status.WARN, str(error))
        name = cash_file_name(report.day)
        if not (self.folder / name).exists():
            atomic_write_text(self.folder / name, text)
        return Check("Download FII/DII cash", Status.OK, f"{name} ({report.day:%d-%b-%Y})")
