"""Setup step 5: bring up what storage the configuration asks for, or say plainly that the embedded defaults apply.

InfluxDB (when INFLUXDB_URL is set): health, token, org, and the three buckets with the configured retention,
created when missing, an existing bucket's retention checked (and changed on a yes; see influx_admin); with
INFLUXDB_DOWNSAMPLE_BUCKET also that bucket and the task filling it with 5-minute aggregates. Redis (when REDIS_URL is set): ping and a write/read/delete round trip. A server that is
configured but unreachable fails the step only when the configuration depends on it (`influxdb` in STORAGE_SINKS);
otherwise it is a warning and the embedded store / in-process cache carry on.
"""

from __future__ import annotations

from op_trading.outcome import Check, Outcome, Status, from_checks


def bucket_names(settings) -> list[str]:
    return [settings["INFLUXDB_BUCKET"], settings["INFLUXDB_PARTICIPANT_BUCKET"], settings["INFLUXDB_CASHFLOW_BUCKET"]]


def initialize_services(ctx) -> Outcome:
    settings = ctx.settings
    with ctx.ui.progress("Checking storage services"):
        checks = influx_checks(settings, confirm=lambda question, default: ctx.ui.confirm(question, default=default))
        checks += redis_checks(settings)
    return from_checks(checks, "storage services initialised")


def influx_checks(settings, confirm=None) -> list[Check]:
    """`confirm(question, default)` is asked before a bucket's retention is changed; None only reports."""
    required = "influxdb" in settings["STORAGE_SINKS"]
    if not settings["INFLUXDB_URL"]:
        if required:
            return [Check("InfluxDB", Status.FAILED, "STORAGE_SINKS includes influxdb but INFLUXDB_URL is empty")]
        return [Check("InfluxDB", Status.SKIPPED, "not configured (INFLUXDB_URL empty): embedded store under "
                      f"{settings.texts['DATA_DIR']}/ in use")]
    from op_trading.services.influx_admin import bootstrap_influx

    checks = bootstrap_influx(settings["INFLUXDB_URL"], settings["INFLUXDB_TOKEN"] or "", settings["INFLUXDB_ORG"],
                              bucket_names(settings), settings["INFLUXDB_RETENTION_DAYS"], confirm=confirm,
                              downsample_bucket=settings["INFLUXDB_DOWNSAMPLE_BUCKET"])
    return checks if required else [_optional(check, "InfluxDB is not in STORAGE_SINKS") for check in checks]


def redis_checks(settings) -> list[Check]:
    if not settings["REDIS_URL"]:
        return [Check("Redis", Status.SKIPPED, "not configured (REDIS_URL empty): in-process cache in use")]
    from op_trading.services.redis_check import check_redis

    return [_optional(check, "the in-process cache is used meanwhile") for check in check_redis(settings["REDIS_URL"])]


def _optional(check: Check, why: str) -> Check:
    """A failure of a server the product can do without is a warning, with the reason it is not fatal."""
    if check.status is not Status.FAILED:
        return check
    return Check(check.name, Status.WARN, f"{check.detail} ({why})")
