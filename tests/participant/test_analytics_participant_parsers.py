"""NSE participant OI/volume files and FII/DII cash data, parsed from real-format fixtures, one per quirk."""

from datetime import date

import pytest

from op_trading.analytics import participants as pa
from tests.fixtures_analytics import fixture_text


def parse(name, source="nse"):
    return pa.parse_participant_csv(fixture_text(name), name, source)


def test_current_layout_doubled_quotes_trailing_space_header_and_crlf():
    text = fixture_text("fao_participant_oi_14102025.csv")
    assert text.startswith('""Participant wise Open Interest') and "\r\n" in text
    assert "Future Stock Short       ," in text and "Total Long Contracts      ," in text
    report = parse("fao_participant_oi_14102025.csv")
    assert (report.kind, report.day, report.warnings) == ("oi", date(2025, 10, 14), ())
    assert report.title.endswith("as on Oct 14, 2025")
    assert list(report.rows) == ["Client", "DII", "FII", "Pro", "TOTAL"]
    assert report.rows["FII"]["fut_idx_short"] == 221000 and report.rows["Client"]["fut_idx_long"] == 212000
    assert report.rows["TOTAL"]["total_long"] == 16254500
    assert report.rows["Pro"]["opt_idx_put_short"] == 473850  # column order: call long, put long, call short, ...


def test_volume_file_has_the_same_layout():
    report = parse("fao_participant_vol_14102025.csv")
    assert (report.kind, report.day, report.warnings) == ("vol", date(2025, 10, 14), ())
    assert report.rows["FII"]["opt_idx_call_long"] == 1740000 and report.rows["DII"]["opt_idx_call_long"] == 0


@pytest.mark.parametrize("name, title_end, day", [
    ("fao_participant_oi_15072022.csv", "Jul 15,2022", date(2022, 7, 15)),  # 2021-2024: no space after comma
    ("fao_participant_oi_10072020.csv", "Jul 10 2020", date(2020, 7, 10)),  # 2020: no comma
    ("fao_participant_oi_11072019.csv", "July 11, 2019", date(2019, 7, 11)),  # 2018-19: full month name
    ("fao_participant_oi_14072015.csv", "Jul 14, 2015", date(2015, 7, 14)),  # 2015: single quotes, LF
])
def test_title_date_formats_over_the_years(name, title_end, day):
    report = parse(name)
    assert report.title.endswith(title_end) and pa.title_date(report.title) == day
    assert report.day == day and report.warnings == ()


def test_nse_off_by_one_is_a_warning_not_an_error():
    report = parse("fao_participant_oi_16102025.csv")
    assert report.rows["FII"]["fut_stk_long"] == 3490001
    assert any("fut_stk_long +1" in warning for warning in report.warnings)


def test_title_date_disagreeing_with_file_name_bom_and_blank_rows():
    report = parse("fao_participant_oi_17102025.csv")
    assert report.day == date(2025, 10, 17)
    assert report.warnings == ("fao_participant_oi_17102025.csv: title says 16-Oct-2025, file name says "
                               "17-Oct-2025; using the name",)


def test_single_quoted_title_and_kind_from_title_without_a_file_name():
    text = fixture_text("fao_participant_vol_14102025.csv").replace('""Participant', "'Participant", 1)
    text = text.replace('2025""', "2025'", 1)
    report = pa.parse_participant_csv(text, "downloaded.csv")
    assert (report.kind, report.day) == ("vol", date(2025, 10, 14))


def test_sept_and_unknown_titles():
    assert pa.title_date("... as on Sept 02, 2019") == date(2019, 9, 2)
    assert pa.title_date("Participant wise Open Interest") is None


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace("\nDII,", "\nXII,"), "rows missing: DII"),
    (lambda t: t.replace("Client,212000", "Client,21x000"), "not a number of contracts"),
    (lambda t: t.replace("Client Type,", "Kind,"), "header row"),
    (lambda t: t.replace("Option Index Put Long", "Option Index Put"), "15 participant columns"),
    (lambda t: t.replace(",4309750", ""), "has 14 fields"),
    (lambda t: "", "empty"),
])
def test_broken_files_give_one_clear_error(mutate, message):
    text = mutate(fixture_text("fao_participant_oi_14102025.csv"))
    with pytest.raises(pa.ParticipantDataError, match=message):
        pa.parse_participant_csv(text, "fao_participant_oi_14102025.csv")


def test_thousands_separators_in_quoted_counts_are_read():
    text = fixture_text("fao_participant_oi_14102025.csv").replace("Client,212000,", 'Client,"212,000",')
    assert pa.parse_participant_csv(text, "fao_participant_oi_14102025.csv").rows["Client"]["fut_idx_long"] == 212000


def test_invariants_are_checked():
    report = parse("fao_participant_oi_14102025.csv")
    assert pa.check_invariants(report.rows) == []
    broken = {name: dict(row) for name, row in report.rows.items()}
    broken["TOTAL"]["fut_idx_long"] += 5
    problems = pa.check_invariants(broken)
    assert any("TOTAL: total_long" in p for p in problems) and any("fut_idx_long 318505 != fut_idx_short" in p
                                                                     for p in problems)


def test_fii_dii_json_plain_values():
    report = pa.parse_fii_dii_json(fixture_text("fii_dii_14102025.json"), "fii_dii_14102025.json")
    assert report.day == date(2025, 10, 14) and report.warnings == ()
    assert (report.rows["FII"].buy, report.rows["FII"].sell, report.rows["FII"].net) == (10566.39, 12299.16, -1732.77)
    assert report.rows["DII"].net == 3555.39


def test_fii_dii_json_with_thousands_separators():
    report = pa.parse_fii_dii_json(fixture_text("fii_dii_15102025.json"), "fii_dii_15102025.json")
    assert report.rows["DII"].buy == 12616.89 and report.rows["FII"].net == 683.35


def test_fii_dii_net_mismatch_is_a_warning():
    text = fixture_text("fii_dii_14102025.json").replace('"netValue":"3555.39"', '"netValue":"3555.00"')
    report = pa.parse_fii_dii_json(text, "x.json")
    assert report.warnings and "DII: net 3,555.00" in report.warnings[0]


@pytest.mark.parametrize("text, message", [
    ("<html>Access Denied</html>", "not JSON"), ("{}", "JSON array"),
    ('[{"category":"DII","date":"2025-10-14","buyValue":"1","sellValue":"1","netValue":"0"}]', "DD-Mon-YYYY"),
    ('[{"category":"DII","date":"14-Oct-2025","buyValue":"-","sellValue":"1","netValue":"0"}]', "amount in crore"),
    ('[{"category":"MF","date":"14-Oct-2025"}]', "no FII/FPI or DII rows"),
])
def test_fii_dii_bad_payloads(text, message):
    with pytest.raises(pa.ParticipantDataError, match=message):
        pa.parse_fii_dii_json(text, "x.json")


OLDER_HEADER = ("CLIENT_TYPE,FUT_IDX_LONG,FUT_IDX_SHORT,FUT_STK_LONG,FUT_STK_SHORT,OPT_IDX_CALL_LONG,OPT_IDX_PUT_LONG,"
                "OPT_IDX_CALL_SHORT,OPT_IDX_PUT_SHORT,OPT_STK_CALL_LONG,OPT_STK_PUT_LONG,OPT_STK_CALL_SHORT,"
                "OPT_STK_PUT_SHORT,TOTAL_LONG_CONTRACTS,TOTAL_SHORT_CONTRACTS")


def older_archive(text: str, header: str = OLDER_HEADER) -> str:
    """The 2015 fixture the way older archives spell it: capitals and underscores in the header."""
    lines = text.splitlines()
    return "\n".join([lines[0], header, *lines[2:]]) + "\n"


@pytest.mark.parametrize("header", [
    OLDER_HEADER,
    OLDER_HEADER.replace("FUT_IDX", "FUTURE_INDEX").replace("OPT_IDX", "OPTION_INDEX").replace("_CONTRACTS", ""),
    "CLIENT TYPE," + ",".join(name.upper() for name in pa.HEADER[1:]),
])
def test_older_archive_headers_are_read(header):
    report = pa.parse_participant_csv(older_archive(fixture_text("fao_participant_oi_14072015.csv"), header),
                                      "fao_participant_oi_14072015.csv")
    assert report.warnings == () and report.rows["Client"]["fut_idx_long"] == 212000


def test_na_cells_of_older_archives_are_missing_not_zero():
    text = older_archive(fixture_text("fao_participant_oi_14072015.csv"))
    lines = text.splitlines()
    pro = next(number for number, line in enumerate(lines) if line.startswith("Pro,"))
    cells = lines[pro].split(",")
    cells[9:13] = ["NA"] * 4  # the stock option columns
    lines[pro] = ",".join(cells)
    report = pa.parse_participant_csv("\n".join(lines), "fao_participant_oi_14072015.csv")
    assert report.rows["Pro"]["opt_stk_call_long"] is None and report.rows["Pro"]["fut_idx_long"] is not None
    assert any("4 cell(s) not published (NA), kept as missing: Pro opt_stk_call_long" in w for w in report.warnings)
    assert not any("Pro: total_long" in warning for warning in report.warnings)  # NA sums are not checked
    [pro_position] = pa.participant_positions(report, categories=("Pro",))
    assert pro_position.fut_net == report.rows["Pro"]["fut_idx_long"] - report.rows["Pro"]["fut_idx_short"]


def test_na_in_an_index_column_refuses_the_file_with_the_reason():
    lines = older_archive(fixture_text("fao_participant_oi_14072015.csv")).splitlines()
    dii = next(number for number, line in enumerate(lines) if line.startswith("DII,"))
    cells = lines[dii].split(",")
    cells[1] = "NA"  # Future Index Long
    lines[dii] = ",".join(cells)
    with pytest.raises(pa.ParticipantDataError, match="not published \\(NA\\) in this file: DII Future Index Long; "
                                                      "participant positions need the index futures"):
        pa.parse_participant_csv("\n".join(lines), "fao_participant_oi_14072015.csv")


def test_an_unknown_header_column_is_named():
    text = older_archive(fixture_text("fao_participant_oi_14072015.csv"),
                         OLDER_HEADER.replace("OPT_IDX_PUT_LONG", "OPT_IDX_STRADDLE"))
    with pytest.raises(pa.ParticipantDataError, match="column 7 is 'OPT_IDX_STRADDLE', expected 'Option Index Put"):
        pa.parse_participant_csv(text, "fao_participant_oi_14072015.csv")
