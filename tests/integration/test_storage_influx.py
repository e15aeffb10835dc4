"""InfluxSink writing line protocol with influxdb-client, read back from a real line-protocol server.

VictoriaMetrics stores field `f` of measurement `m` as metric `m_f` with the tags as labels and keeps every sample
(duplicates too), so the sample counts below are exact. Routing to buckets and server refusals are checked against
the InfluxDB v2 API fake, because VictoriaMetrics has no buckets and accepts any field type.
"""

from op_trading.services.influx_admin import bootstrap_influx
from op_trading.storage.influx import InfluxSink
from op_trading.storage.point import Point, time_to_ns
from op_trading.storage.schema import points_from_records
from tests.fixtures_storage import (cycle_records, cycle_time, fake_influx,  # noqa: F401 - pytest fixtures
                                    line_protocol_server)

LEG_FIELDS = 20  # 14 float + 6 int fields per leg point (fixtures give every value)


def sink_for(server, tmp_path, **options) -> InfluxSink:
    options.setdefault("batch_size", 5000)
    return InfluxSink(server.url, "token", "op-trading", "options-data", spool_dir=tmp_path / "spool", **options)


def test_legs_and_overviews_round_trip_with_tags_values_and_times(line_protocol_server, tmp_path):
    sink = sink_for(line_protocol_server, tmp_path, batch_size=7)  # several batches per write
    sent = []
    for cycle in range(3):
        points, problems = points_from_records(cycle_records(cycle_time(cycle), indices=("NIFTY", "SENSEX")))
        assert problems == []
        result = sink.write(points)
        assert (result.written, result.spooled, result.failed) == (len(points), 0, 0)
        sent += points
    legs = [point for point in sent if point.measurement == "atm_option_quote"]
    assert line_protocol_server.sample_count('{__name__=~"atm_option_quote_.*"}') == len(legs) * LEG_FIELDS
    series = line_protocol_server.export('atm_option_quote_last_price{index="SENSEX",strike_offset="atm_m2"}')
    assert len(series) == 4 * 2  # buckets x sides, each its own series
    labels = series[0]["metric"]
    assert set(labels) == {"__name__", "index", "option_type", "expiration", "strike", "bucket", "strike_offset",
                           "source"} and labels["source"] == "mock"
    expected = {(p.tags["bucket"], p.tags["option_type"], time_to_ns(p.time) // 10**6): p.fields["last_price"]
                for p in legs if p.tags["index"] == "SENSEX" and p.tags["strike_offset"] == "atm_m2"}
    stored = {(s["metric"]["bucket"], s["metric"]["option_type"], t): v
              for s in series for t, v in zip(s["timestamps"], s["values"])}
    assert stored == expected
    overview = line_protocol_server.export('index_overview_THIS_WEEK_OI_CALL{index="NIFTY 50"}')
    assert len(overview) == 1 and overview[0]["values"] == [250000.0] * 3


def test_bad_points_are_counted_as_failed_and_the_rest_still_written(line_protocol_server, tmp_path):
    good = Point("m", {"k": "a"}, {"x": 1.0}, cycle_time(0))
    empty = Point("m", {"k": "b"}, {"x": float("nan")}, cycle_time(0))
    result = sink_for(line_protocol_server, tmp_path).write([good, empty])
    assert (result.written, result.failed) == (1, 1) and "no writable fields" in result.reason
    assert line_protocol_server.sample_count('{__name__="m_x"}') == 1


def test_measurements_are_routed_to_their_buckets(fake_influx, tmp_path):
    buckets = ["options-data", "participant-flows", "cash-flows"]
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", buckets, 0)
    sink = InfluxSink(fake_influx.url, fake_influx.token, "op-trading", "options-data", spool_dir=tmp_path,
                      routes={"participant_*": "participant-flows", "cash_flow*": "cash-flows"})
    moment = cycle_time(0)
    points = [Point(name, {"k": "v"}, {"x": 1.0}, moment)
              for name in ("atm_option_quote", "participant_oi", "cash_flow_daily", "index_overview")]
    assert sink.write(points).written == 4
    routed = {line.split(",", 1)[0]: bucket for bucket, line in fake_influx.writes}
    assert routed == {"atm_option_quote": "options-data", "participant_oi": "participant-flows",
                      "cash_flow_daily": "cash-flows", "index_overview": "options-data"}


def test_a_field_type_conflict_is_refused_not_spooled(fake_influx, tmp_path):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 0)
    sink = InfluxSink(fake_influx.url, fake_influx.token, "op-trading", "options-data", spool_dir=tmp_path)
    moment = cycle_time(0)
    assert sink.write([Point("m", {"k": "a"}, {"oi": 5.0}, moment)]).written == 1
    result = sink.write([Point("m", {"k": "a"}, {"oi": 7}, moment), Point("m", {"k": "b"}, {"oi": 2.0}, moment)])
    assert (result.written, result.failed, result.spooled) == (1, 1, 0)
    assert "field type conflict" in result.reason and sink.spool.pending() == []


def test_a_missing_bucket_spools_until_bootstrap_creates_it(fake_influx, tmp_path):
    sink = InfluxSink(fake_influx.url, fake_influx.token, "op-trading", "options-data", spool_dir=tmp_path)
    point = Point("m", {"k": "a"}, {"x": 1.0}, cycle_time(0))
    result = sink.write([point])
    assert result.spooled == 1 and "404" in result.reason and 'bucket "options-data" not found' in result.reason
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 0)
    flushed = sink.flush()
    assert (flushed.replayed, flushed.spooled, flushed.failed) == (1, 0, 0)
    assert fake_influx.writes == [("options-data", point.to_line_protocol())]


def test_a_rejected_token_keeps_the_data_and_says_why(fake_influx, tmp_path):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 0)
    sink = InfluxSink(fake_influx.url, "not-the-token", "op-trading", "options-data", spool_dir=tmp_path)
    result = sink.write([Point("m", {"k": "a"}, {"x": 1.0}, cycle_time(0))])
    assert result.spooled == 1 and "HTTP 401" in result.reason and "unauthorized access" in result.reason
    assert "not-the-token" not in result.reason and fake_influx.writes == []
