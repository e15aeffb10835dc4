"""Menu trees as data. `ROOT` is the main menu; every screen of the terminal application comes from here."""

from menus.main import ROOT

__all__ = ["ROOT"]
