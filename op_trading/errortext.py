"""Error texts cut down for a log line, a cycle line or a message: one line, no response bodies, a few hundred chars.

Exception texts from HTTP clients can quote a whole response body (kiteconnect puts the raw bytes of a mangled
answer into DataException: 140 KB for one quote call, and a mangled session answer would carry the access token).
Every place that turns an exception into text for people or logs goes through `error_line`.
"""

from __future__ import annotations

import re

LINE_LIMIT = 300  # characters of an error text on a line
# ": b'...", " with response: (b'...": the rest of the text is a quoted body
_QUOTED_BODY = re.compile(r"(?::|\s+with response:)\s*\(?b['\"].*$", re.DOTALL)


def bounded(text: str, limit: int = LINE_LIMIT) -> str:
    """The first line of `text`, at most `limit` characters (an ellipsis marks a cut)."""
    stripped = str(text).strip()
    line = stripped.splitlines()[0] if stripped else ""
    if len(line) < len(stripped):
        line += " ..."
    return line if len(line) <= limit else line[: max(limit - 3, 0)] + "..."


def error_line(error: BaseException, status: int | None = None, limit: int = LINE_LIMIT) -> str:
    """`Class (HTTP code): first line of the message`, any quoted response body left out, bounded.

    `status` is the HTTP status actually received, when the caller knows it better than the exception does
    (kiteconnect's DataException always claims 502).
    """
    if status is None:  # the status a caller noted on the exception (see KiteCaller), else the exception's own
        status = getattr(error, "http_status", None)
    code = status if status is not None else getattr(error, "code", None)
    name = type(error).__name__
    text = _QUOTED_BODY.sub(" (response body not shown)", str(error).strip())
    prefix = f"{name} (HTTP {code})" if isinstance(code, int) and code else name
    text = bounded(text, max(limit - len(prefix) - 2, 40))
    return f"{prefix}: {text}" if text else prefix
