"""InfluxDB bootstrap through influxdb-client against the documented v2 HTTP contract (tests.fixtures_storage).

The line-protocol server used elsewhere (VictoriaMetrics) has no orgs or buckets, so these checks run against the
v2 API fake; an unreachable port and VictoriaMetrics itself (not an InfluxDB 2) are also tried for real.
"""

from op_trading.outcome import Status
from op_trading.services.influx_admin import bootstrap_influx
from tests.fixtures_storage import fake_influx, line_protocol_server  # noqa: F401 - pytest fixtures
from tests.support import free_port

BUCKETS = ["options-data", "participant-flows", "cash-flows"]


def statuses(checks):
    return {check.name: check.status for check in checks}


def test_missing_buckets_are_created_with_infinite_retention(fake_influx):
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0)
    assert [check.name for check in checks] == ["InfluxDB health", "InfluxDB token", "InfluxDB organisation",
                                                "Bucket options-data", "Bucket participant-flows",
                                                "Bucket cash-flows"]
    assert all(check.status is Status.OK for check in checks), checks
    assert all(check.detail == "created (retention infinite)" for check in checks[3:])
    org_id = fake_influx.orgs["op-trading"]
    for name in BUCKETS:
        bucket = fake_influx.bucket_named(name, org_id)
        assert bucket["retentionRules"] == [{"type": "expire", "everySeconds": 0}]


def test_a_second_run_finds_the_buckets_and_creates_nothing(fake_influx):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0)
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0)
    assert [check.detail for check in checks[3:]] == ["exists (retention infinite)"] * 3
    assert len(fake_influx.buckets) == 3


def test_retention_in_days_becomes_seconds(fake_influx):
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 7)
    assert checks[-1].detail == "created (retention 7 days)"
    assert fake_influx.bucket_named("options-data")["retentionRules"][0]["everySeconds"] == 7 * 86_400


def test_a_rejected_token_fails_and_creates_nothing(fake_influx):
    checks = bootstrap_influx(fake_influx.url, "wrong-token-0000", "op-trading", BUCKETS, 0)
    assert statuses(checks) == {"InfluxDB health": Status.OK, "InfluxDB token": Status.FAILED,
                                "InfluxDB buckets": Status.SKIPPED}
    assert "401" in checks[1].detail and fake_influx.buckets == {}


def test_an_unknown_org_names_the_ones_the_token_can_see(fake_influx):
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "your-org", BUCKETS, 0)
    assert statuses(checks)["InfluxDB organisation"] is Status.FAILED
    assert "'your-org' not found" in checks[2].detail and "op-trading" in checks[2].detail


def test_an_empty_token_is_reported(fake_influx):
    checks = bootstrap_influx(fake_influx.url, "", "op-trading", BUCKETS, 0)
    assert statuses(checks)["InfluxDB token"] is Status.FAILED and "INFLUXDB_TOKEN is empty" in checks[1].detail


def test_an_unreachable_server_is_a_failed_check_not_an_exception():
    url = f"http://127.0.0.1:{free_port()}"
    checks = bootstrap_influx(url, "token", "op-trading", BUCKETS, 0, timeout_ms=2000)
    assert statuses(checks) == {"InfluxDB health": Status.FAILED, "InfluxDB buckets": Status.SKIPPED}
    assert "unreachable" in checks[0].detail and "Connection refused" in checks[0].detail


def test_a_server_that_is_not_influxdb_2_is_named_as_such(line_protocol_server):
    checks = bootstrap_influx(line_protocol_server.url, "token", "op-trading", BUCKETS, 0)
    assert checks[0].status is Status.FAILED and "not as InfluxDB 2 does" in checks[0].detail


def test_no_url_means_the_embedded_store():
    [check] = bootstrap_influx("", "", "op-trading", BUCKETS, 0)
    assert check.status is Status.SKIPPED and "embedded store" in check.detail
