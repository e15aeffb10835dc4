"""Main menu: the three modes."""

from menus.development import DEVELOPMENT
from menus.production import PRODUCTION
from menus.setup import SETUP
from op_trading.ui.model import Menu

ROOT = Menu("root", "Main menu", (SETUP, DEVELOPMENT, PRODUCTION),
            help="Choose a mode. Each mode's last item runs its whole sequence; `--mode X --auto` runs it headless.")
