"""Where the project keeps its files.

Everything lives under one project home: the folder named by ``OP_TRADING_HOME`` or, by default, the current
working directory. Tests point ``OP_TRADING_HOME`` at a temporary folder so nothing touches the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_VARIABLE = "OP_TRADING_HOME"


def project_home() -> Path:
    return Path(os.environ.get(HOME_VARIABLE) or os.getcwd()).resolve()


def env_file() -> Path:
    return project_home() / ".env"


def resolve(relative: str | os.PathLike[str]) -> Path:
    """A path from settings: absolute paths stay, relative ones are taken from the project home."""
    path = Path(relative).expanduser()
    return path if path.is_absolute() else project_home() / path
