"""The simulator's participant and FII/DII files: NSE's exact format, NSE's invariants, labelled mock, seeded."""

import json
from datetime import date

import pytest

from op_trading.analytics import participants as pa
from op_trading.analytics.participant_import import MANIFEST, ParticipantImporter
from op_trading.sandbox import participants as sim

DAY = date(2026, 7, 28)


def test_oi_file_matches_the_published_layout_line_by_line():
    lines = sim.participant_csv("oi", DAY).split("\n")
    assert lines[0] == ('""Participant wise Open Interest (no. of contracts) in Equity Derivatives as on '
                        'Jul 28, 2026""' + "," * 14)
    assert lines[1] == ("Client Type,Future Index Long,Future Index Short,Future Stock Long,Future Stock Short       "
                        ",Option Index Call Long,Option Index Put Long,Option Index Call Short,Option Index Put Short,"
                        "Option Stock Call Long,Option Stock Put Long,Option Stock Call Short,Option Stock Put Short,"
                        "Total Long Contracts      ,Total Short Contracts")
    assert [line.split(",")[0] for line in lines[2:7]] == ["Client", "DII", "FII", "Pro", "TOTAL"]
    assert all(len(line.split(",")) == 15 for line in lines[1:7]) and lines[7:] == [""]


@pytest.mark.parametrize("kind", ["oi", "vol"])
def test_files_parse_without_warnings_and_keep_nse_invariants(kind):
    text = sim.participant_csv(kind, DAY)
    report = pa.parse_participant_csv(text, f"fao_participant_{kind}_{DAY:%d%m%Y}.csv", "mock")
    assert report.warnings == () and report.day == DAY
    assert pa.KINDS[kind] in report.title


def test_magnitudes_are_those_of_real_files():
    rows = sim.simulated_rows("oi", DAY)
    assert 250_000 < rows["TOTAL"]["fut_idx_long"] < 400_000
    assert 12_000_000 < rows["TOTAL"]["total_long"] < 20_000_000
    assert rows["FII"]["fut_idx_short"] > rows["FII"]["fut_idx_long"]  # FIIs mostly short index futures


def test_same_seed_same_files_other_seed_other_files():
    assert sim.participant_csv("oi", DAY, seed=7) == sim.participant_csv("oi", DAY, seed=7)
    assert sim.participant_csv("oi", DAY, seed=7) != sim.participant_csv("oi", DAY, seed=8)
    assert sim.fii_dii_json(DAY, seed=7) == sim.fii_dii_json(DAY, seed=7)


def test_fii_dii_json_is_the_api_shape_and_follows_the_market():
    items = json.loads(sim.fii_dii_json(DAY))
    assert [item["category"] for item in items] == ["DII", "FII/FPI"]
    assert all(set(item) == {"category", "date", "buyValue", "sellValue", "netValue"} for item in items)
    assert all(isinstance(item["buyValue"], str) and item["date"] == "28-Jul-2026" for item in items)
    report = pa.parse_fii_dii_json(sim.fii_dii_json(DAY), "x", "mock")
    assert report.warnings == ()
    days = [date(2026, 7, day) for day in (20, 21, 22, 23, 24, 27, 28, 29, 30, 31)]
    fii = [pa.parse_fii_dii_json(sim.fii_dii_json(day), "x").rows["FII"].net for day in days]
    returns = [sim.nifty_return(day, 42) for day in days]
    agree = sum((net > 0) == (ret > 0) for net, ret in zip(fii, returns) if abs(ret) > 0.004)
    assert agree >= sum(abs(ret) > 0.004 for ret in returns) - 1


def test_both_separator_styles_occur():
    texts = [sim.fii_dii_json(day) for day in (date(2026, 7, 27), date(2026, 7, 28))]
    assert sum("," in json.loads(text)[0]["buyValue"] for text in texts) == 1


def test_no_file_for_a_holiday():
    with pytest.raises(ValueError, match="not a trading day"):
        sim.simulated_rows("oi", date(2026, 10, 2))


def test_write_history_and_import_as_mock(tmp_path):
    written = sim.write_history(tmp_path, DAY, 3)
    assert len(written) == 9 and all(path.exists() for path in written)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["source"] == "mock" and len(manifest["files"]) == 9
    sim.write_day(tmp_path, DAY)
    assert len(json.loads((tmp_path / MANIFEST).read_text())["files"]) == 9
    outcome = ParticipantImporter(tmp_path).run(DAY)
    assert outcome.status.value == "ok" and outcome.data["latest_day"] == "2026-07-28"
    assert all(row[2] != "n/a" for row in outcome.tables[0].rows)  # day-over-day change present
    assert "source: mock" in outcome.tables[0].caption and "source: mock" in outcome.tables[1].caption
