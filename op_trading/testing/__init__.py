"""Launching the project's tests by category from the menus."""
