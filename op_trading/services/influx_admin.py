"""InfluxDB bootstrap through influxdb-client: health, token, organisation, the buckets (created when missing, their
retention checked) and the optional downsampling task.

Every step becomes one `Check` line; nothing raises for an unreachable or misconfigured server, because the setup
wizard shows these lines and carries on with the embedded store.

Retention: an existing bucket whose retention differs from INFLUXDB_RETENTION_DAYS is a problem, never "OK". A
bucket that would delete data the configuration wants kept (7 days from the setup profile, while production keeps
data forever) is FAILED until fixed; the fix is offered through `confirm` (yes by default under --auto). Shortening a
retention deletes data, so it is only ever done on an explicit yes (default no, never under --auto); left as it is,
it is a warning.
"""

from __future__ import annotations

import logging
from typing import Callable

from op_trading.outcome import Check, Status
from op_trading.storage.influx import server_message

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
Confirm = Callable[[str, bool], bool]  # (question, default answer) -> yes?
DOWNSAMPLE_EVERY = "5m"
DOWNSAMPLE_MEASUREMENTS = ("chain_metrics", "index_overview")
FIX_HINT = "answer yes to the question of Production > Perform all system checks and validations, or run " \
           "`python op_trading_setup.py run production.checks --auto`"


def bootstrap_influx(url: str, token: str, org: str, buckets: list[str], retention_days: int,
                     timeout_ms: int = 5_000, *, confirm: Confirm | None = None,
                     downsample_bucket: str | None = None) -> list[Check]:
    """`confirm` None: report retention problems without asking. `downsample_bucket`: also create that bucket and
    the task that fills it with 5-minute aggregates of `buckets[0]`."""
    if not url:
        return [Check("InfluxDB", Status.SKIPPED, "INFLUXDB_URL is not set: the embedded store under data/ is used")]
    from influxdb_client import InfluxDBClient

    client = InfluxDBClient(url=url, token=token or "", org=org, timeout=timeout_ms)
    try:
        checks, organisation = _bootstrap(client, url, token, org)
        if organisation is None:
            return checks
        checks += [_ensure_bucket(client, organisation, name, retention_days, confirm) for name in buckets]
        if downsample_bucket and buckets:
            checks.append(_ensure_bucket(client, organisation, downsample_bucket, retention_days, confirm))
            checks.append(_ensure_task(client, organisation, org, buckets[0], downsample_bucket))
        return checks
    finally:
        client.close()


def _bootstrap(client, url: str, token: str, org: str) -> tuple[list[Check], object | None]:
    """Health, token and organisation checks, and the organisation (None when the buckets cannot be checked)."""
    health = _health(client, url)
    checks = [health]
    if health.status is Status.FAILED:
        return checks + [_not_checked("InfluxDB buckets", "the server did not answer")], None
    if not token:
        return checks + [Check("InfluxDB token", Status.FAILED, "INFLUXDB_TOKEN is empty"),
                         _not_checked("InfluxDB buckets", "no token")], None
    organisation, org_checks = _organisation(client, org)
    checks += org_checks
    if organisation is None:
        checks.append(_not_checked("InfluxDB buckets", "no usable organisation"))
    return checks, organisation


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


def _ensure_bucket(client, organisation, name: str, retention_days: int, confirm: Confirm | None = None) -> Check:
    from influxdb_client import BucketRetentionRules
    from influxdb_client.rest import ApiException

    label = f"Bucket {name}"
    api = client.buckets_api()
    rule = BucketRetentionRules(type="expire", every_seconds=retention_days * SECONDS_PER_DAY)
    try:
        existing = api.find_buckets(name=name, org_id=organisation.id).buckets or []
        if existing:
            return _check_retention(api, existing[0], rule, label, confirm)
        api.create_bucket(bucket_name=name, retention_rules=rule, org=organisation)
    except ApiException as error:
        if error.status == 422 and "already exists" in server_message(error):
            return Check(label, Status.OK, "exists (created concurrently)")
        return Check(label, Status.FAILED, f"HTTP {error.status}: {server_message(error)}")
    except Exception as error:  # noqa: BLE001 - connection dropped mid-bootstrap
        return Check(label, Status.FAILED, f"{type(error).__name__}: {error}")
    log.info("created InfluxDB bucket %s", name)
    return Check(label, Status.OK, f"created ({_retention_text([rule])})")


def _check_retention(api, bucket, wanted, label: str, confirm: Confirm | None) -> Check:
    have, want = _retention_seconds(bucket.retention_rules), wanted.every_seconds
    if have == want:
        return Check(label, Status.OK, f"exists ({_retention_text(bucket.retention_rules)})")
    have_text, want_text = _retention_text(bucket.retention_rules), _retention_text([wanted])
    loses_data = have != 0 and (want == 0 or have < want)  # deletes data the configuration wants kept
    question = (f"Bucket {bucket.name} has {have_text}; change it to {want_text} "
                f"(INFLUXDB_RETENTION_DAYS={want // SECONDS_PER_DAY})?"
                + ("" if loses_data else " Data older than that is deleted."))
    if confirm is not None and confirm(question, loses_data):
        bucket.retention_rules = [wanted]
        api.update_bucket(bucket)
        log.info("changed the retention of InfluxDB bucket %s from %s to %s", bucket.name, have_text, want_text)
        return Check(label, Status.OK, f"{have_text} changed to {want_text}")
    if loses_data:
        return Check(label, Status.FAILED, f"{have_text}, but INFLUXDB_RETENTION_DAYS asks {want_text}: older data "
                                           f"is being deleted; to keep it, {FIX_HINT}")
    return Check(label, Status.WARN, f"{have_text}, longer than INFLUXDB_RETENTION_DAYS ({want_text}); left as it is "
                                     "(shortening deletes data: only on an explicit yes)")


def _ensure_task(client, organisation, org: str, source: str, target: str) -> Check:
    """The downsampling task, created when missing and brought up to date when its Flux differs."""
    from influxdb_client.domain.task_create_request import TaskCreateRequest
    from influxdb_client.domain.task_update_request import TaskUpdateRequest
    from influxdb_client.rest import ApiException

    name = downsample_task_name(target)
    label, flux = f"Task {name}", downsample_flux(source, target, org, name)
    api = client.tasks_api()
    try:
        found = [task for task in api.find_tasks(name=name, org_id=organisation.id) if task.name == name]
        if not found:
            api.create_task(task_create_request=TaskCreateRequest(org_id=organisation.id, flux=flux, status="active",
                                                                  description=DOWNSAMPLE_DESCRIPTION))
            log.info("created InfluxDB task %s", name)
            return Check(label, Status.OK, f"created: every {DOWNSAMPLE_EVERY}, {source} -> {target}")
        task = found[0]
        if task.flux == flux and task.status == "active":
            return Check(label, Status.OK, f"exists: every {task.every or DOWNSAMPLE_EVERY}, {source} -> {target}")
        api.update_task_request(task.id, TaskUpdateRequest(flux=flux, status="active"))
    except ApiException as error:
        return Check(label, Status.FAILED, f"HTTP {error.status}: {server_message(error)}")
    except Exception as error:  # noqa: BLE001 - connection dropped mid-bootstrap
        return Check(label, Status.FAILED, f"{type(error).__name__}: {error}")
    log.info("updated InfluxDB task %s", name)
    return Check(label, Status.OK, f"updated to this version's query: every {DOWNSAMPLE_EVERY}, {source} -> {target}")


DOWNSAMPLE_DESCRIPTION = "OP Trading: last value of each 5-minute window of chain metrics and index overviews"


def downsample_task_name(target: str) -> str:
    return f"op-trading downsample {DOWNSAMPLE_EVERY} to {target}"


def downsample_flux(source: str, target: str, org: str, name: str) -> str:
    """The task: every 5 minutes (1 minute late, so the cycles of the window have arrived), the last value of each
    field of `DOWNSAMPLE_MEASUREMENTS` in the window, same measurement, tags and field types, into `target`."""
    measurements = " or ".join(f'r._measurement == "{measurement}"' for measurement in DOWNSAMPLE_MEASUREMENTS)
    return (f'option task = {{name: "{name}", every: {DOWNSAMPLE_EVERY}, offset: 1m}}\n\n'
            f'from(bucket: "{source}")\n'
            f"    |> range(start: -task.every)\n"
            f"    |> filter(fn: (r) => {measurements})\n"
            f"    |> aggregateWindow(every: {DOWNSAMPLE_EVERY}, fn: last, createEmpty: false)\n"
            f'    |> to(bucket: "{target}", org: "{org}")\n')


def _retention_seconds(rules) -> int:
    return max((rule.every_seconds or 0 for rule in rules or []), default=0)


def _retention_text(rules) -> str:
    seconds = _retention_seconds(rules)
    if seconds == 0:
        return "retention infinite"
    days = seconds / SECONDS_PER_DAY
    return f"retention {days:g} days" if days >= 1 else f"retention {seconds} s"


def _not_checked(name: str, why: str) -> Check:
    return Check(name, Status.SKIPPED, f"not checked: {why}")
