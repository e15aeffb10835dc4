"""NSE's participant and FII/DII files as real collectors and test suites saved them (../shared/external, see its
SOURCES.md): every one parses. Skipped when that folder is not next to the checkout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from op_trading.analytics import participants as pa
from op_trading.analytics.participant_import import ParticipantImporter

ROOT = Path(__file__).resolve().parents[2]
# the checkout's sibling folder; a git worktree one level further down sees it one level further up
CANDIDATES = (ROOT / ".." / "shared" / "external", ROOT / ".." / ".." / "shared" / "external")
EXTERNAL = next((path.resolve() for path in CANDIDATES if (path / "participants").is_dir()), None)
pytestmark = pytest.mark.skipif(EXTERNAL is None, reason="../shared/external (real NSE files) is not available")


def external(*parts: str) -> Path:
    return EXTERNAL.joinpath("participants", *parts)


@pytest.mark.parametrize("name, day, fii, dii", [
    # NSE's older form: "DII **" / "FII/FPI *" (footnote marks), 2020 to late 2025
    ("fii_dii_28082020.json", date(2020, 8, 28), (6618.88, 5614.77, 1004.11), (5341.4, 5884.96, -543.56)),
    ("fii_dii_04122025.json", date(2025, 12, 4), (11500.09, 13444.28, -1944.19), (16489.46, 12828.41, 3661.05)),
    ("fii_dii_01102026.json", date(2026, 10, 1), (12260.26, 21744.48, -9484.22), (25420.04, 15378.2, 10041.84)),
])
def test_fii_dii_cash_answers_in_every_published_form_parse(name, day, fii, dii):
    report = pa.parse_fii_dii_json(external("third_party_fixtures", name).read_text(encoding="utf-8"), name)
    assert report.day == day and report.warnings == ()
    assert (report.rows["FII"].buy, report.rows["FII"].sell, report.rows["FII"].net) == fii
    assert (report.rows["DII"].buy, report.rows["DII"].sell, report.rows["DII"].net) == dii


def test_the_double_asterisk_fpi_category_parses_too():
    text = external("third_party_fixtures", "fii_dii_04122025.json").read_text(encoding="utf-8")
    report = pa.parse_fii_dii_json(text.replace('"FII/FPI *"', '"FII/FPI **"'), "fii_dii_04122025.json")
    assert set(report.rows) == {"FII", "DII"} and report.rows["FII"].net == -1944.19


def test_a_collectors_re_serialised_cash_answer_parses():
    path = external("FII-DII-Decode_2026-09-18", "fii_dii_cash_latest.json")
    report = pa.parse_fii_dii_json(path.read_text(encoding="utf-8"), path.name)
    assert report.day == date(2026, 9, 18) and report.rows["FII"].net == 599.54


@pytest.mark.parametrize("folder, name, saved_as, day", [
    ("third_party_fixtures", "fao_participant_oi_08102026.csv", None, date(2026, 10, 8)),
    ("third_party_fixtures", "fao_participant_oi_01102026.csv", None, date(2026, 10, 1)),
    ("FII-DII-Decode_2026-09-18", "participant_oi.csv", "fao_participant_oi_18092026.csv", date(2026, 9, 18)),
    ("FII-DII-Decode_2026-09-18", "participant_volume.csv", "fao_participant_vol_18092026.csv", date(2026, 9, 18)),
])
def test_real_participant_files_parse(folder, name, saved_as, day):
    text = external(folder, name).read_text(encoding="utf-8")
    report = pa.parse_participant_csv(text, saved_as or name)
    assert report.day == day and set(report.rows) == {"Client", "DII", "FII", "Pro", "TOTAL"}
    assert all(value is not None for row in report.rows.values() for value in row.values())
    positions = pa.participant_positions(report)
    assert {position.category for position in positions} == set(pa.CATEGORIES)


def test_the_importer_keeps_a_day_whose_cash_file_has_asterisks(tmp_path):
    folder = tmp_path / "participants"
    folder.mkdir()
    for name in ("fii_dii_04122025.json", "fii_dii_28082020.json"):
        (folder / name).write_bytes(external("third_party_fixtures", name).read_bytes())
    result = ParticipantImporter(folder, history_days=100_000).import_folder(date(2025, 12, 5))
    assert [report.day for report in result.cash] == [date(2020, 8, 28), date(2025, 12, 4)]
    assert not [check for check in result.checks if check.status.value == "failed"]
