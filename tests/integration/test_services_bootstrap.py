"""Setup step 5 against real servers: Redis round trip; embedded defaults when nothing is configured."""

import io

from op_trading.config.settings import load_settings
from op_trading.context import RunContext
from op_trading.outcome import Status
from op_trading.services.bootstrap import initialize_services
from op_trading.ui.io import ConsoleUI
from op_trading.ui.render import make_console
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
