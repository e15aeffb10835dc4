"""A line-protocol server that dies mid-run and comes back: collection goes on, nothing is lost or written twice.

The server is a real VictoriaMetrics process, SIGKILLed between cycles and restarted on the same port and data
folder. VictoriaMetrics keeps duplicate samples, so exact sample counts per series prove "nothing twice".
"""

from op_trading.storage.embedded import EmbeddedStore
from op_trading.storage.files import CsvSplitSink
from op_trading.storage.influx import InfluxSink
from op_trading.storage.schema import points_from_records
from tests.fixtures_storage import (cycle_records, cycle_time,  # noqa: F401 - pytest fixture
                                    private_line_protocol_server)

LEGS_PER_CYCLE = 40  # 4 buckets x 5 offsets x 2 sides
LEG_FIELDS = 20
# Client timeout: a dead server refuses at once, so a long timeout only matters when the live server is slow to
# answer on a loaded machine (parallel test workers) - then a short one would spool a write and fail the count.


def cycle_points(number):
    points, problems = points_from_records(cycle_records(cycle_time(number)))
    assert problems == []
    return points


def assert_exactly_once(server, cycles):
    """Every leg series holds each cycle's sample exactly once, for every field."""
    series = server.export('{__name__=~"atm_option_quote_.*"}')
    assert all(len(item["timestamps"]) == len(set(item["timestamps"])) for item in series), "duplicates stored"
    assert sum(len(item["values"]) for item in series) == cycles * LEGS_PER_CYCLE * LEG_FIELDS
    prices = server.export('{__name__="atm_option_quote_last_price"}')
    assert len(prices) == LEGS_PER_CYCLE and all(len(item["values"]) == cycles for item in prices)
    assert server.sample_count('{__name__="index_overview_last_price"}') == cycles


def test_outage_mid_run_is_spooled_and_replayed_on_the_next_write(private_line_protocol_server, tmp_path):
    server = private_line_protocol_server
    influx = InfluxSink(server.url, "token", "op-trading", "options-data", batch_size=25,
                        spool_dir=tmp_path / "spool", timeout_ms=15000, backoff_seconds=(0.0, 0.0))
    others = [EmbeddedStore(tmp_path / "data"), CsvSplitSink(tmp_path / "csv")]
    cycles, per_cycle = 12, len(cycle_points(0))
    for number in range(cycles):
        if number == 4:
            server.kill()
        if number == 8:
            server.start()
        points = cycle_points(number)
        result = influx.write(points)
        if 4 <= number < 8:  # down: everything goes to the spool, nothing is lost or counted as failed
            assert (result.written, result.spooled, result.failed) == (0, per_cycle, 0), result
            assert "unreachable" in result.reason
        elif number == 8:  # back: the spool is replayed first, then the new cycle is written
            assert (result.replayed, result.written, result.spooled) == (4 * per_cycle, per_cycle, 0), result
        else:
            assert result.delivered and result.written == per_cycle and result.replayed == 0
        assert all(sink.write(points).written > 0 for sink in others)  # other sinks never notice
    assert influx.flush().spooled == 0 and influx.spool.pending() == []
    assert_exactly_once(server, cycles)
    assert others[0].count("atm_option_quote") == cycles * LEGS_PER_CYCLE


def test_spool_survives_a_restart_of_our_own_process(private_line_protocol_server, tmp_path):
    server = private_line_protocol_server
    spool = tmp_path / "spool"
    first = InfluxSink(server.url, "token", "op-trading", "options-data", spool_dir=spool, timeout_ms=15000)
    first.write(cycle_points(0))
    server.kill()
    for number in (1, 2, 3):
        assert first.write(cycle_points(number)).spooled > 0
    first.close()  # the collector stops while the server is still down; the spool stays on disk
    assert len(list(spool.glob("*.lp"))) == 3
    server.start()
    second = InfluxSink(server.url, "token", "op-trading", "options-data", spool_dir=spool, timeout_ms=15000)
    flushed = second.flush()
    assert (flushed.replayed, flushed.spooled, flushed.failed) == (3 * len(cycle_points(0)), 0, 0)
    second.flush()  # nothing left to replay a second time
    assert_exactly_once(server, 4)


def test_a_full_spool_reports_what_it_could_not_keep(private_line_protocol_server, tmp_path):
    server = private_line_protocol_server
    influx = InfluxSink(server.url, "token", "op-trading", "options-data", spool_dir=tmp_path / "spool",
                        timeout_ms=15000, backoff_seconds=(0.0, 0.0))
    influx.spool.max_bytes = 40_000  # room for about two cycles
    server.kill()
    results = [influx.write(cycle_points(number)) for number in range(4)]
    kept = sum(result.spooled for result in results)
    lost = sum(result.failed for result in results)
    assert kept > 0 and lost > 0 and kept + lost == 4 * len(cycle_points(0))
    assert any("not spooled" in result.reason and "would exceed" in result.reason for result in results)
    server.start()
    assert influx.flush().replayed == kept
    assert server.sample_count('{__name__="index_overview_last_price"}') == kept // len(cycle_points(0))
