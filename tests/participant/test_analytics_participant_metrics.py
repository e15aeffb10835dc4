"""Participant metrics against hand-computed values from the 14/15-Oct-2025 fixtures, tables, stored history."""

from datetime import date

import pytest

from op_trading.analytics import participants as pa
from op_trading.analytics.common import write_points
from tests.fixtures_analytics import fixture_text, settings, store


def report(name):
    return pa.parse_participant_csv(fixture_text(name), name)


DAY1, DAY2 = report("fao_participant_oi_14102025.csv"), report("fao_participant_oi_15102025.csv")


def test_positions_nets_long_share_and_day_over_day_change():
    positions = {p.category: p for p in pa.participant_positions(DAY2, DAY1)}
    fii = positions["FII"]
    assert (fii.fut_net, fii.call_net, fii.put_net) == (26000 - 216000, 330000 - 560000, 720000 - 215000)
    assert fii.fut_long_pct == pytest.approx(100 * 26000 / 242000)
    assert (fii.fut_net_change, fii.call_net_change, fii.put_net_change) == (7500, 20000, 0)
    client = positions["Client"]
    assert (client.fut_net, client.fut_net_change, client.call_net_change) == (146500, -7500, -20000)
    assert fii.sentiment == "bearish" and client.sentiment == "bullish" and positions["Pro"].sentiment == "neutral"


def test_first_day_has_no_change_and_order_is_checked():
    positions = pa.participant_positions(DAY1)
    assert all(p.fut_net_change is None for p in positions)
    with pytest.raises(ValueError, match="earlier file"):
        pa.participant_positions(DAY1, DAY2)


def test_only_enabled_categories():
    names = pa.enabled_categories(settings(ENABLE_DII_ANALYSIS="false", ENABLE_CLIENT_ANALYSIS="false"))
    assert names == ("FII", "Pro")
    assert [p.category for p in pa.participant_positions(DAY2, DAY1, names)] == ["FII", "Pro"]


def test_pro_client_divergence():
    divergence = pa.pro_client_divergence(DAY2, DAY1)
    # Pro net -3500 -> -3500 (change 0); Client 154000 -> 146500 (change -7500)
    assert (divergence.pro_change, divergence.client_change) == (0, -7500)
    assert (divergence.gap, divergence.gap_change, divergence.opposite) == (-150000, 7500, False)


def test_cash_nets_and_table():
    cash = pa.parse_fii_dii_json(fixture_text("fii_dii_14102025.json"), "fii_dii_14102025.json")
    assert pa.cash_nets(cash) == {"DII": 3555.39, "FII": -1732.77, "FII+DII": pytest.approx(1822.62)}
    assert pa.cash_nets(cash, ("FII",)) == {"FII": -1732.77, "FII+DII": -1732.77}
    table = pa.cash_table(cash)
    assert table.columns == ("Category", "Buy (₹ cr)", "Sell (₹ cr)", "Net (₹ cr)")
    assert table.rows == (("DII", "13,498.89", "9,943.50", "+3,555.39"),
                          ("FII", "10,566.39", "12,299.16", "-1,732.77"), ("FII+DII", "", "", "+1,822.62"))
    assert "14-Oct-2025" in table.caption and "nse" in table.caption


def test_participant_table_is_readable_without_colour():
    table = pa.participant_table(pa.participant_positions(DAY2, DAY1), pa.pro_client_divergence(DAY2, DAY1))
    assert table.rows[2] == ("FII", "-190,000", "+7,500", "10.7%", "-230,000", "+20,000", "+505,000", "+0", "bearish")
    assert "15-Oct-2025" in table.caption and "not live" in table.caption and "+7,500 on the day" in table.caption


def test_reports_round_trip_through_the_store(tmp_path):
    db = store(tmp_path)
    cash = pa.parse_fii_dii_json(fixture_text("fii_dii_15102025.json"), "fii_dii_15102025.json")
    written = write_points(db, pa.report_points(DAY1) + pa.report_points(DAY2) + pa.cash_points(cash))
    assert written == 12
    rebuilt = pa.reports_from_rows(db.query(pa.MEASUREMENT), "oi")
    assert [r.day for r in rebuilt] == [date(2025, 10, 14), date(2025, 10, 15)]
    assert rebuilt[1].rows == DAY2.rows and rebuilt[1].source == "nse"
    stored = {row["category"]: row for row in db.query(pa.MEASUREMENT, tags={"kind": "oi"})
              if row["time"].date() == date(2025, 10, 15)}
    assert stored["FII"]["fut_net"] == -190000 and "fut_net" not in stored["TOTAL"]
    assert stored["FII"]["time"].hour == 15 and stored["FII"]["time"].minute == 30
    again = pa.cash_from_rows(db.query(pa.CASH_MEASUREMENT))
    assert again[0].rows["FII"].net == 683.35 and again[0].day == date(2025, 10, 15)
    assert pa.reports_from_rows(db.query(pa.MEASUREMENT), "vol") == []
