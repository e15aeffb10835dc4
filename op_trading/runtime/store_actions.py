"""Store maintenance actions (the `migrate-store` command): they return an Outcome; progress goes to `say`."""

from __future__ import annotations

from typing import Callable

from op_trading.outcome import Outcome, failed, ok


def migrate_store(settings, say: Callable[[str], None] = print) -> Outcome:
    """Convert DATA_DIR's embedded store from the row-per-point layout to daily chunks, in place, resumable."""
    import sqlite3

    from op_trading.storage.embedded import EmbeddedStore
    from op_trading.storage.migrate import migrate

    shown = {"percent": -1}

    def progress(done: int, total: int, points: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown["percent"]:
            shown["percent"] = percent
            say(f"migrating: {done}/{total} series ({percent}%), {points:,} points moved")

    try:
        store = EmbeddedStore.from_settings(settings)
    except (OSError, sqlite3.Error) as error:
        return failed(f"cannot open the embedded store: {error}")
    try:
        say(f"store: {store.path}")
        result = migrate(store, progress)
    except sqlite3.Error as error:
        return failed(f"migration stopped ({error}); run the command again to resume where it stopped")
    finally:
        store.close()
    return ok(result.summary())
