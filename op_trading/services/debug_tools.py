"""Development 7: debug tools — debug logging and raw-quote capture, set up and proven to work.

It asks LOG_LEVEL and DEBUG_SAVE_RAW_QUOTES (the same fields as the wizard), makes the capture folder, then writes a
marker record through the product's logger and reads the log file back, so "debug logging on" is a checked fact.
"""

from __future__ import annotations

import logging
import secrets

from op_trading.config.edit import edit_fields
from op_trading.logs import LOG_NAME, setup_logging
from op_trading.outcome import Check, Outcome, Status, from_checks

DEBUG_FIELDS = ("LOG_LEVEL", "DEBUG_SAVE_RAW_QUOTES")


def initialize_debug_tools(ctx) -> Outcome:
    edited = edit_fields(ctx, DEBUG_FIELDS)
    settings = ctx.reload()
    checks = list(edited.checks)
    capture = settings.path("DATA_DIR") / "debug"
    if settings["DEBUG_SAVE_RAW_QUOTES"]:
        capture.mkdir(parents=True, exist_ok=True)
        checks.append(Check("raw quote capture", Status.OK, f"each cycle's quote response goes to {capture}"))
    else:
        checks.append(Check("raw quote capture", Status.SKIPPED, "off (DEBUG_SAVE_RAW_QUOTES=false)"))
    checks.append(_prove_logging(settings))
    return from_checks(checks, f"debug tools ready (log level {settings['LOG_LEVEL']})")


def _prove_logging(settings) -> Check:
    """Log a unique marker at the configured level and find it in the log file."""
    setup_logging(settings)
    marker = f"debug-tools-check-{secrets.token_hex(4)}"
    level = logging.getLevelName(settings["LOG_LEVEL"])
    logger = logging.getLogger("op_trading.debug_tools")
    logger.log(level, marker)
    for handler in logging.getLogger("op_trading").handlers:
        handler.flush()
    log_file = settings.path("LOG_DIR") / LOG_NAME
    if log_file.exists() and marker in log_file.read_text(encoding="utf-8", errors="replace"):
        return Check("log file", Status.OK, f"{log_file} receives {settings['LOG_LEVEL']} records")
    return Check("log file", Status.FAILED, f"a test record did not reach {log_file}")
