"""open_sinks / open_store from settings: the sinks asked for, in order, and clear errors for impossible asks."""

import pytest

from op_trading.config.settings import load_settings
from op_trading.storage import StorageConfigError, open_sinks, open_store
from op_trading.storage.base import Sink
from op_trading.storage.embedded import EmbeddedStore
from op_trading.storage.files import CsvSplitSink, JsonSnapshotSink
from op_trading.storage.influx import InfluxSink


def test_default_sinks_are_embedded_and_csv_under_data_dir(project_home):
    sinks = open_sinks(load_settings())
    assert [type(sink) for sink in sinks] == [EmbeddedStore, CsvSplitSink]
    assert all(isinstance(sink, Sink) for sink in sinks)
    assert sinks[0].path == project_home / "data" / "store" / "op_trading.sqlite3"
    assert sinks[1].root == project_home / "data" / "csv_data"


def test_influxdb_sink_reads_its_settings(project_home):
    settings = load_settings(overrides={
        "STORAGE_SINKS": "influxdb,json", "INFLUXDB_URL": "http://127.0.0.1:8086", "INFLUXDB_TOKEN": "t" * 20,
        "INFLUXDB_BATCH_SIZE": "700", "DATA_DIR": "elsewhere", "SPOOL_MAX_MB": "3"})
    influx, snapshots = open_sinks(settings)
    assert isinstance(influx, InfluxSink) and isinstance(snapshots, JsonSnapshotSink)
    assert influx.batch_size == 700 and influx.spool.max_bytes == 3 * 1024 * 1024
    assert influx.spool.folder == project_home / "elsewhere" / "spool" / "influxdb"
    assert influx.bucket_for("atm_option_quote") == "options-data"
    assert influx.bucket_for("index_overview") == "options-data"
    assert influx.bucket_for("participant_positions") == "participant-flows"
    assert influx.bucket_for("cash_flow_daily") == "cash-flows"


def test_influxdb_without_url_is_an_error_not_a_silent_drop():
    with pytest.raises(StorageConfigError, match="INFLUXDB_URL is empty"):
        open_sinks(load_settings(overrides={"STORAGE_SINKS": "embedded,influxdb"}))


def test_open_store_gives_the_embedded_store(project_home):
    assert open_store(load_settings()).path.parent == project_home / "data" / "store"
