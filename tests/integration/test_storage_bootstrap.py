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


# ----- retention of existing buckets (production keeps data forever) and the downsampling task -----

def seven_day_buckets(fake):
    """What the setup profile (INFLUXDB_RETENTION_DAYS=7) leaves behind."""
    bootstrap_influx(fake.url, fake.token, "op-trading", BUCKETS, 7)
    assert all(b["retentionRules"][0]["everySeconds"] == 7 * 86_400 for b in fake.buckets.values())


def test_production_reports_seven_day_buckets_as_a_problem_when_not_asked_to_fix(fake_influx):
    seven_day_buckets(fake_influx)
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0)
    assert [check.status for check in checks[3:]] == [Status.FAILED] * 3
    assert "retention 7 days, but INFLUXDB_RETENTION_DAYS asks retention infinite" in checks[3].detail
    assert "run production.checks --auto" in checks[3].detail and fake_influx.patches == []


def test_a_yes_makes_the_buckets_keep_data_forever(fake_influx):
    seven_day_buckets(fake_influx)
    asked = []
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0,
                              confirm=lambda question, default: asked.append((question, default)) or True)
    assert [check.detail for check in checks[3:]] == ["retention 7 days changed to retention infinite"] * 3
    assert all(check.status is Status.OK for check in checks)
    assert asked[0] == ("Bucket options-data has retention 7 days; change it to retention infinite "
                        "(INFLUXDB_RETENTION_DAYS=0)?", True)  # keeping data is the default answer (--auto: yes)
    assert [b["retentionRules"] for b in fake_influx.buckets.values()] == [[{"type": "expire", "everySeconds": 0}]] * 3
    again = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0)
    assert [check.detail for check in again[3:]] == ["exists (retention infinite)"] * 3


def test_a_no_leaves_the_buckets_and_keeps_the_problem(fake_influx):
    seven_day_buckets(fake_influx)
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 0,
                              confirm=lambda question, default: False)
    assert checks[-1].status is Status.FAILED and fake_influx.patches == []


def test_shortening_a_retention_is_never_the_default(fake_influx):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 0)
    defaults = []
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 7,
                              confirm=lambda question, default: defaults.append(default) or default)
    assert defaults == [False] and checks[-1].status is Status.WARN and fake_influx.patches == []
    assert "shortening deletes data" in checks[-1].detail
    assert fake_influx.bucket_named("options-data")["retentionRules"][0]["everySeconds"] == 0


def test_a_longer_configured_retention_counts_as_keeping_less(fake_influx):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 30)
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", ["options-data"], 90)
    assert checks[-1].status is Status.FAILED and "retention 30 days" in checks[-1].detail


def test_the_downsampling_bucket_and_task_are_created_once(fake_influx):
    from op_trading.services.influx_admin import downsample_flux, downsample_task_name

    first = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0,
                             downsample_bucket="options-5m")
    assert [check.name for check in first[-2:]] == ["Bucket options-5m", "Task op-trading downsample 5m to options-5m"]
    assert first[-1].detail == "created: every 5m, options-data -> options-5m"
    [task] = fake_influx.tasks.values()
    assert task["name"] == downsample_task_name("options-5m") and task["every"] == "5m" and task["status"] == "active"
    assert task["flux"] == downsample_flux("options-data", "options-5m", "op-trading", task["name"])
    assert 'from(bucket: "options-data")' in task["flux"]
    assert 'to(bucket: "options-5m", org: "op-trading")' in task["flux"]
    second = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0,
                              downsample_bucket="options-5m")
    assert second[-1].detail == "exists: every 5m, options-data -> options-5m" and len(fake_influx.tasks) == 1


def test_an_outdated_or_inactive_task_is_brought_up_to_date(fake_influx):
    bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0, downsample_bucket="options-5m")
    [task] = fake_influx.tasks.values()
    task["flux"] = task["flux"].replace("fn: last", "fn: mean")
    task["status"] = "inactive"
    checks = bootstrap_influx(fake_influx.url, fake_influx.token, "op-trading", BUCKETS, 0,
                              downsample_bucket="options-5m")
    assert checks[-1].detail.startswith("updated") and "fn: last" in task["flux"] and task["status"] == "active"


def test_the_task_aggregates_declared_measurements_only():
    from op_trading.services.influx_admin import DOWNSAMPLE_MEASUREMENTS, downsample_flux
    from op_trading.storage.schema import MEASUREMENTS, bucket_of

    assert all(name in MEASUREMENTS and bucket_of(name) == "options-data" for name in DOWNSAMPLE_MEASUREMENTS)
    flux = downsample_flux("options-data", "options-5m", "op-trading", "t")
    assert all(f'r._measurement == "{name}"' in flux for name in DOWNSAMPLE_MEASUREMENTS)
