"""Headless Debian Chromium driven by Playwright (the system browser; Playwright downloads nothing): pages opened
with their console errors collected."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import service_missing

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


def chromium_path() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        service_missing("Chromium (Debian package chromium)")
    return path


ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # gitignored


def artefact_dir(name: str) -> Path:
    """Where screenshots are kept after the run (CI uploads it): TEST_ARTIFACTS_DIR or ./test-artifacts, per
    test module; never committed (.gitignore)."""
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR") or ARTEFACTS) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield instance
        instance.close()


class PageWatch:
    """A page whose console errors and uncaught exceptions are collected (a test fails on any)."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(f"console: {message.text}")
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def close(self) -> None:
        self.page.close()
