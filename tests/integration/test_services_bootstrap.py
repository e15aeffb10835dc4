"""Setup step 5 against real servers: Redis round trip; embedded defaults when nothing is configured."""

import io

from op_trading.config.settings import load_settings
from op_trading.context import RunContext
from op_trading.outcome import Status
from op_trading.services.bootstrap import initialize_services
from op_trading.ui.io import ConsoleUI
from op_trading.ui.render import make_console
from tests.fixtures_storage import fake_influx  # noqa: F401 - pytest fixture
from tests.support import port_open, service_missing


def run(overrides):
    ctx = RunContext("setup", load_settings("setup", overrides), ConsoleUI(make_console(file=io.StringIO())))
    return initialize_services(ctx)


def test_nothing_configured_means_embedded_defaults_said_plainly():
    result = run({})
    assert result.status is Status.OK
    details = {check.name: check for check in result.checks}
    assert details["InfluxDB"].status is Status.SKIPPED and "embedded store" in details["InfluxDB"].detail
    assert details["Redis"].status is Status.SKIPPED and "in-process cache" in details["Redis"].detail


def test_redis_round_trip_against_a_real_server():
    if not port_open("127.0.0.1", 6379):
        service_missing("Redis on 127.0.0.1:6379")
    result = run({"REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert result.status is Status.OK, result.checks
    redis_checks = [check for check in result.checks if "redis" in check.name.lower()]
    assert redis_checks and all(check.status is Status.OK for check in redis_checks)


def test_unreachable_optional_redis_is_a_warning_not_a_failure():
    result = run({"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.status is Status.WARN
    assert any(check.status is Status.WARN and "in-process cache" in check.detail for check in result.checks)


def test_required_influx_without_url_is_a_configuration_error():
    settings = load_settings("setup", {"STORAGE_SINKS": "embedded,influxdb"})
    assert "STORAGE_SINKS" in settings.errors


def test_production_checks_under_auto_make_setup_buckets_keep_data_forever(fake_influx):
    """Issue 8.12: buckets made by the setup profile (7 days) are a problem in production, fixed by --auto."""
    from op_trading.services.validate import validate_installation
    from op_trading.ui.io import HeadlessUI

    common = {"INFLUXDB_URL": fake_influx.url, "INFLUXDB_TOKEN": fake_influx.token,
              "STORAGE_SINKS": "embedded,influxdb"}
    setup = RunContext("setup", load_settings("setup", common), ConsoleUI(make_console(file=io.StringIO())))
    assert initialize_services(setup).status is Status.OK
    assert {b["retentionRules"][0]["everySeconds"] for b in fake_influx.buckets.values()} == {7 * 86_400}

    production = load_settings("production", common)
    reported = RunContext("production", production, HeadlessUI(make_console(file=io.StringIO())))
    buckets = [check for check in validate_installation(reported).checks if check.name.startswith("Bucket")]
    assert buckets and all(check.status is Status.FAILED for check in buckets)  # validate reports, never "OK"

    fixed = initialize_services(RunContext("production", production, HeadlessUI(make_console(file=io.StringIO())),
                                           auto=True))
    assert fixed.status is Status.OK, fixed.checks
    assert {b["retentionRules"][0]["everySeconds"] for b in fake_influx.buckets.values()} == {0}
