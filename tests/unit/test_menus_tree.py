"""Invariants of the menu trees: labels and numbering as the SPEC fixes them, ids unique, every action resolvable."""

import pytest

from menus import ROOT
from op_trading.actions import ACTIONS, resolve
from op_trading.ui.model import Configure, Leaf, Menu, Sequence, find, resolve_step, visible, walk
from wizards.environment import FIELDS, SECTIONS

SPEC_LABELS = {
    "": ["Setup (First Time)", "Development", "Production"],
    "setup": ["Check system requirements", "Check prerequisites and install if missing",
              "Create project structure and directories", "Environment configuration wizard",
              "Initialize basic services (InfluxDB, Redis)", "Validate complete installation",
              "Run all setup steps automatically"],
    "development": ["Test mode selection", "Participant analysis configuration", "Cash flow tracking setup",
                    "Position monitoring configuration", "Mock data environment setup",
                    "Live data fallback configuration", "Debug tools initialization",
                    "Complete development environment setup"],
    "production": ["Perform all system checks and validations", "Kite Connect authentication setup",
                   "Enter valid access token manually", "Use previous/existing token", "Live analytics configuration",
                   "Participant analysis with real-time alerts", "Monitoring and alerting setup",
                   "Production environment deployment", "Complete production setup with all features"],
    "setup.wizard": ["Kite Connect API credentials", "Monitoring and health checks",
                     "Database (InfluxDB, infinite retention)", "Logging and monitoring", "Data source and market data",
                     "Performance optimization", "Options analytics", "Security and authentication",
                     "Participant analysis", "Complete environment setup (all categories)"],
    "setup.wizard.kite": ["Enter API key", "Enter API secret", "Import from file", "Test connection",
                          "Set up OAuth redirect flow", "Validate permissions", "Complete setup"],
    "development.tests": ["Unit", "Integration", "Performance", "Chaos engineering", "Property-based", "Live data",
                          "Mock data", "Participant analysis", "Run all test categories"],
    "development.participants": ["FII tracking", "DII tracking", "Pro traders analysis", "Client (retail) analysis",
                                 "Cash flow panel configuration", "Position change monitoring",
                                 "Alert threshold settings", "Historical data integration"],
    "development.cash_flow": ["Enable real-time cash flow tracking", "Configure buying/selling panels",
                              "Set alert thresholds (default ₹100 crore)",
                              "Set up timeframe toggles (1m 5m 15m 30m 1h 1d 1w)",
                              "Historical retention (default 90 days)", "Sector-wise analysis",
                              "Pre-market data capture (default 08:00 IST)"],
    "development.positions": ["Enable position change tracking", "Monitoring interval (1m / 5m / 15m / 30m / 1h)",
                              "OI change alerts", "Net position calculations", "Historical pattern analysis"],
}


# Submenus whose SPEC items are followed by the analytics view of the same topic (issue 5: views from the menus).
VIEW_AFTER_SPEC = {"development.participants": 1, "development.cash_flow": 1, "development.positions": 2}


@pytest.mark.parametrize("path", sorted(SPEC_LABELS))
def test_labels_and_numbering_follow_the_spec(path):
    menu = ROOT if not path else find(ROOT, path)
    titles = [item.title for item in visible(menu)]
    assert titles[:len(SPEC_LABELS[path])] == SPEC_LABELS[path]
    assert len(titles) == len(SPEC_LABELS[path]) + VIEW_AFTER_SPEC.get(path, 0)
    assert all(title.startswith("Show") for title in titles[len(SPEC_LABELS[path]):])


def test_ids_are_unique_per_menu_and_never_contain_dots():
    for _, node in walk(ROOT):
        if isinstance(node, Menu):
            ids = [item.id for item in node.items]
            assert len(ids) == len(set(ids)), node.id
            assert all("." not in item_id and item_id for item_id in ids)


def test_every_leaf_action_is_in_the_table_and_imports():
    used = {node.action for _, node in walk(ROOT) if isinstance(node, Leaf)} | {"config.edit"}
    assert used <= set(ACTIONS), used - set(ACTIONS)
    for action_id in sorted(used):
        assert callable(resolve(action_id)), action_id


def test_every_action_in_the_table_is_used():
    used = {node.action for _, node in walk(ROOT) if isinstance(node, Leaf)} | {"config.edit"}
    assert set(ACTIONS) == used


def test_every_sequence_step_exists_and_is_not_a_menu():
    for path, node in walk(ROOT):
        if isinstance(node, Sequence):
            menu_path = path.split(".", 1)[1].rsplit(".", 1)[0] if path.count(".") > 1 else ""
            for step in node.steps:
                target = find(ROOT, resolve_step(ROOT, menu_path, step))
                assert not isinstance(target, Menu), (path, step)


def test_configure_items_name_declared_fields_and_requirements_are_real():
    for _, node in walk(ROOT):
        if isinstance(node, Configure):
            assert set(node.fields) <= set(FIELDS), node.fields
        if isinstance(node, Leaf):
            assert set(node.requires) <= set(FIELDS) | {"token"}


def test_wizard_complete_setup_covers_every_persisted_field():
    sequence = find(ROOT, "setup.wizard.all")
    asked = set()
    for step in sequence.steps:
        asked |= set(find(ROOT, resolve_step(ROOT, "setup.wizard", step)).fields)
    persisted = {f.env for section in SECTIONS for f in section.fields if f.persist}
    assert asked == persisted


def test_every_mode_has_a_complete_sequence_for_auto():
    for mode in ("setup", "development", "production"):
        assert isinstance(find(ROOT, f"{mode}.all"), Sequence)
