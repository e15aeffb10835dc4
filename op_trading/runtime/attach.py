"""Terminal views attach to the running service through its API instead of starting a second collector.

`service_url(settings)` finds the service's API on this machine (127.0.0.1:API_PORT answering /health as
"op-trading"); `fetch(url, path, settings)` reads one JSON answer with the API token. Standard library only (urllib),
so a menu that merely checks for a service never loads FastAPI or an HTTP client.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

PROBE_TIMEOUT = 1.0
READ_TIMEOUT = 10.0


class ApiUnavailable(RuntimeError):
    """The service's API did not answer (stopped meanwhile, wrong token); one line for the user."""


def _request(url: str, settings) -> urllib.request.Request:
    headers = {"Accept": "application/json"}
    if settings["API_TOKEN"]:
        headers["Authorization"] = f"Bearer {settings['API_TOKEN']}"
    return urllib.request.Request(url, headers=headers)


def service_url(settings) -> str | None:
    """The base URL of a running service's API on this machine, or None."""
    port = settings["API_PORT"]
    if not port:
        return None
    base = f"http://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(_request(base + "/health", settings), timeout=PROBE_TIMEOUT) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return base if isinstance(answer, dict) and answer.get("service") == "op-trading" else None


def fetch(base: str, path: str, settings) -> Any:
    try:
        with urllib.request.urlopen(_request(base + path, settings), timeout=READ_TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read().decode("utf-8")).get("detail", "")
        except (ValueError, AttributeError):
            detail = ""
        raise ApiUnavailable(f"the service's API answered {error.code} for {path}: {str(detail)[:200]}") from None
    except (OSError, ValueError) as error:
        raise ApiUnavailable(f"the service's API at {base} did not answer: {error}") from None
