"""InfluxDB bootstrap through influxdb-client: health, token, organisation, and the buckets (created when missing).

Every step becomes one `Check` line; nothing raises for an unreachable or misconfigured server, because the setup
wizard shows these lines and carries on with the embedded store.
"""

from __future__ import annotations

import logging

from op_trading.outcome import Check, Status
from op_trading.storage.influx import server_message

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400


def bootstrap_influx(url: str, token: str, org: str, buckets: list[str], retention_days: int,
                     timeout_ms: int = 5_000) -> list[Check]:
    if not url:
        return [Check("InfluxDB", Status.SKIPPED, "INFLUXDB_URL is not set: the embedded store under data/ is used")]
    from influxdb_client import InfluxDBClient

    client = InfluxDBClient(url=url, token=token or "", org=org, timeout=timeout_ms)
    try:
        return _bootstrap(client, url, token, org, buckets, retention_days)
    finally:
        client.close()


def _bootstrap(client, url: str, token: str, org: str, buckets: list[str], retention_days: int) -> list[Check]:
    health = _health(client, url)
    checks = [health]
    if health.status is Status.FAILED:
        return checks + [_not_checked("InfluxDB buckets", "the server did not answer")]
    if not token:
        return checks + [Check("InfluxDB token", Status.FAILED, "INFLUXDB_TOKEN is empty"),
                         _not_checked("InfluxDB buckets", "no token")]
    organisation, org_checks = _organisation(client, org)
    checks += org_checks
    if organisation is None:
        return checks + [_not_checked("InfluxDB buckets", "no usable organisation")]
    return checks + [_ensure_bucket(client, organisation, name, retention_days) for name in buckets]


def _health(client, url: str) -> Check:
    from influxdb_client.rest import ApiException
    from influxdb_client.service.health_service import HealthService
    from urllib3.exceptions import HTTPError

    try:
        health = HealthService(client.api_client).get_health()
    except ApiException as error:  # 503 carries the failing health report
        return Check("InfluxDB health", Status.FAILED,
                     f"{url} answered HTTP {error.status}: {server_message(error)}")
    except (HTTPError, OSError) as error:
        return Check("InfluxDB health", Status.FAILED, f"{url} unreachable: {type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - a reply the client cannot parse: not an InfluxDB 2 server
        return Check("InfluxDB health", Status.FAILED,
                     f"{url} answered /health, but not as InfluxDB 2 does ({type(error).__name__}: {error})")
    if health.status != "pass":
        return Check("InfluxDB health", Status.FAILED, f"{url} reports {health.status}: {health.message}")
    return Check("InfluxDB health", Status.OK, f"{url} ready (version {health.version or 'unknown'})")


def _organisation(client, org: str):
    """(organisation or None, checks for the token and the organisation)."""
    from influxdb_client.rest import ApiException

    api = client.organizations_api()
    try:
        found = api.find_organizations(org=org)
    except ApiException as error:
        if error.status in (401, 403):
            return None, [Check("InfluxDB token", Status.FAILED,
                                f"rejected by the server (HTTP {error.status}: {server_message(error)})")]
        if error.status != 404:
            return None, [Check("InfluxDB organisation", Status.FAILED,
                                f"HTTP {error.status}: {server_message(error)}")]
        found = []
    token = Check("InfluxDB token", Status.OK, "accepted")
    if found:
        return found[0], [token, Check("InfluxDB organisation", Status.OK, f"{org} (id {found[0].id})")]
    return None, [token, Check("InfluxDB organisation", Status.FAILED,
                               f"{org!r} not found; organisations this token can see: {_visible(api)}")]


def _visible(api) -> str:
    try:
        names = [organisation.name for organisation in api.find_organizations()]
    except Exception as error:  # noqa: BLE001 - only used to improve a message
        return f"(could not list: {error})"
    return ", ".join(names) or "none"


def _ensure_bucket(client, organisation, name: str, retention_days: int) -> Check:
    from influxdb_client import BucketRetentionRules
    from influxdb_client.rest import ApiException

    label = f"Bucket {name}"
    api = client.buckets_api()
    try:
        existing = api.find_buckets(name=name, org_id=organisation.id).buckets or []
        if existing:
            return Check(label, Status.OK, f"exists ({_retention_text(existing[0].retention_rules)})")
        rule = BucketRetentionRules(type="expire", every_seconds=retention_days * SECONDS_PER_DAY)
        api.create_bucket(bucket_name=name, retention_rules=rule, org=organisation)
    except ApiException as error:
        if error.status == 422 and "already exists" in server_message(error):
            return Check(label, Status.OK, "exists (created concurrently)")
        return Check(label, Status.FAILED, f"HTTP {error.status}: {server_message(error)}")
    except Exception as error:  # noqa: BLE001 - connection dropped mid-bootstrap
        return Check(label, Status.FAILED, f"{type(error).__name__}: {error}")
    log.info("created InfluxDB bucket %s", name)
    return Check(label, Status.OK, f"created ({_retention_text([rule])})")


def _retention_text(rules) -> str:
    seconds = max((rule.every_seconds or 0 for rule in rules or []), default=0)
    if seconds == 0:
        return "retention infinite"
    days = seconds / SECONDS_PER_DAY
    return f"retention {days:g} days" if days >= 1 else f"retention {seconds} s"


def _not_checked(name: str, why: str) -> Check:
    return Check(name, Status.SKIPPED, f"not checked: {why}")
