"""The one table from action ids (used in `menus/`) to the functions that do the work.

Targets are imported on first use, so building a menu never imports scipy, kiteconnect or influxdb_client. Every
action has the same signature: ``action(ctx: RunContext, **params) -> Outcome``. A test checks that every id used
by a menu is here and that every target imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable

ACTIONS: dict[str, str] = {
    "system.requirements": "op_trading.services.system:check_requirements",
    "system.prerequisites": "op_trading.services.prerequisites:check_prerequisites",
    "system.structure": "op_trading.services.structure:create_structure",
    "system.validate": "op_trading.services.validate:validate_installation",
    "system.debug_tools": "op_trading.services.debug_tools:initialize_debug_tools",
    "services.initialize": "op_trading.services.bootstrap:initialize_services",
    "config.edit": "op_trading.config.edit:edit_fields",
    "config.import_credentials": "op_trading.config.edit:import_credentials",
    "testing.run": "op_trading.testing.runner:run_category",
    "kite.login": "op_trading.kite.actions:login",
    "kite.manual_token": "op_trading.kite.actions:manual_token",
    "kite.previous_token": "op_trading.kite.actions:previous_token",
    "kite.token_status": "op_trading.kite.actions:token_status",
    "kite.test_connection": "op_trading.kite.actions:test_connection",
    "kite.oauth_setup": "op_trading.kite.actions:oauth_setup",
    "kite.permissions": "op_trading.kite.actions:permissions",
    "sandbox.mock_environment": "op_trading.runtime.actions:mock_environment",
    "runtime.deploy": "op_trading.runtime.actions:deploy",
    "analytics.live_view": "op_trading.runtime.analytics_views:live_view",
    "analytics.participants": "op_trading.runtime.analytics_views:participants",
    "notify.test": "op_trading.notify.actions:test_alert",
    "service.install": "op_trading.runtime.install:install_action",
    "service.uninstall": "op_trading.runtime.install:uninstall_action",
    "service.status": "op_trading.runtime.install:status_action",
    "analytics.premarket": "op_trading.runtime.jobs:premarket_action",
    "analytics.option_chain": "op_trading.runtime.chain_view:option_chain",
}


def resolve(action_id: str) -> Callable:
    """The function behind an action id; KeyError for an unknown id, ImportError/AttributeError for a bad target."""
    module_name, _, attribute = ACTIONS[action_id].partition(":")
    return getattr(import_module(module_name), attribute)
