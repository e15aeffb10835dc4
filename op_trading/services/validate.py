"""Setup step 6: validate the whole installation — configuration, folders, storage, services, and one dry
collection cycle against the configured source. Every line is something that was actually checked."""

from __future__ import annotations

from datetime import datetime, timezone

from op_trading.outcome import Check, Outcome, Status, from_checks


def validate_installation(ctx) -> Outcome:
    settings = ctx.settings
    checks = config_checks(settings, ctx.mode) + structure_checks(settings) + [embedded_store_check(settings)]
    from op_trading.services.bootstrap import influx_checks, redis_checks

    with ctx.ui.progress("Validating services and a dry collection cycle"):
        checks += influx_checks(settings) + redis_checks(settings)
        checks.append(dry_cycle_check(settings))
    return from_checks(checks, "installation validated")


def config_checks(settings, mode: str | None) -> list[Check]:
    checks = [Check(name, Status.FAILED, message) for name, message in settings.errors.items()]
    checks += [Check(".env", Status.WARN, message) for message in settings.warnings]
    checks += [Check(name, Status.FAILED, f"required for {mode} mode; run the Environment configuration wizard")
               for name in settings.missing(mode)]
    if mode == "production" and settings["DATA_SOURCE_MODE"] == "mock":
        checks.append(Check("DATA_SOURCE_MODE", Status.WARN, "production is set to mock data (labelled mock)"))
    if not checks:
        checks.append(Check("configuration", Status.OK, f"all settings valid for {mode or 'any'} mode"))
    return checks


def structure_checks(settings) -> list[Check]:
    from op_trading.services.structure import project_folders

    missing = [folder for folder in project_folders(settings) if not folder.is_dir()]
    if missing:
        names = ", ".join(str(folder) for folder in missing[:3]) + (" ..." if len(missing) > 3 else "")
        return [Check("folders", Status.WARN, f"{len(missing)} missing ({names}); run Create project structure")]
    return [Check("folders", Status.OK, "data, logs and token folders present")]


def embedded_store_check(settings) -> Check:
    """Write a probe point to the embedded store and read it back."""
    from op_trading.storage import open_store
    from op_trading.storage.point import Point

    moment = datetime.now(timezone.utc).replace(microsecond=0)
    probe = Point("install_check", {"check": "validate"}, {"ok": 1}, moment)
    try:
        store = open_store(settings)
        try:
            result = store.write([probe])
            found = store.latest("install_check", {"check": "validate"})
        finally:
            store.close()
    except Exception as error:  # a broken store is reported, not raised
        return Check("embedded store", Status.FAILED, f"{type(error).__name__}: {error}")
    if result.failed or not found or found.get("time") != moment:
        return Check("embedded store", Status.FAILED, f"probe point not read back ({result})")
    return Check("embedded store", Status.OK, f"write and read back under {settings.texts['DATA_DIR']}/")


def dry_cycle_check(settings) -> Check:
    from op_trading.runtime.checks import dry_cycle

    return dry_cycle(settings)
