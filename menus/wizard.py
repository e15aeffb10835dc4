"""Environment configuration wizard: one item per category of `wizards/environment.py`, plus all of them."""

from op_trading.ui.model import Configure, Leaf, Menu, Sequence
from wizards.environment import (ANALYTICS, DATA_SOURCE, DATABASE, LOGGING, MONITORING, NOTIFICATIONS, PARTICIPANTS,
                                 PERFORMANCE, SECURITY, Section)


def _category(item_id: str, section: Section) -> Configure:
    return Configure(item_id, section.title, tuple(f.env for f in section.fields if f.persist))


KITE_CREDENTIALS = Menu("kite", "Kite Connect API credentials", (
    Configure("api_key", "Enter API key", ("KITE_API_KEY",)),
    Configure("api_secret", "Enter API secret", ("KITE_API_SECRET",)),
    Leaf("import", "Import from file", "config.import_credentials",
         help="Reads api_key, api_secret, API root, login and redirect URLs from a .env, JSON or key=value file."),
    Leaf("test", "Test connection", "kite.test_connection", requires=("KITE_API_KEY", "token"),
         help="One profile() call and one LTP call, with latency."),
    Sequence("oauth", "Set up OAuth redirect flow", ("redirect", "oauth_check")),
    Leaf("permissions", "Validate permissions", "kite.permissions", requires=("KITE_API_KEY", "token"),
         help="Quote and historical data access of your app."),
    Sequence("complete", "Complete setup", ("api_key", "api_secret", "connection", "oauth", "test", "permissions")),
    Configure("redirect", "Redirect, login page and API root",
              ("KITE_REDIRECT_URL", "KITE_LOGIN_URL", "KITE_API_ROOT", "KITE_LOGIN_TIMEOUT_SECONDS",
               "OPEN_BROWSER_FOR_LOGIN"), hidden=True),
    Leaf("oauth_check", "Check the OAuth redirect setup", "kite.oauth_setup", requires=("KITE_API_KEY",),
         hidden=True),
    Configure("connection", "Kite request timeout and retries",
              ("KITE_REQUEST_TIMEOUT_SECONDS", "KITE_MAX_RETRIES"), hidden=True),
), help="Credentials of your Kite Connect app (developers.kite.trade > My apps).")

# What a first-time setup must ask; everything else keeps its documented default until changed in the wizard.
FIRST_TIME = Configure(
    "first_time", "Kite credentials, data source and storage",
    ("KITE_API_KEY", "KITE_API_SECRET", "DATA_SOURCE_MODE", "STORAGE_SINKS", "INFLUXDB_URL", "INFLUXDB_TOKEN"),
    only_if={"INFLUXDB_URL": ("STORAGE_SINKS", "influxdb"), "INFLUXDB_TOKEN": ("STORAGE_SINKS", "influxdb")},
    note="every other setting keeps its default; change them later in Setup > Environment configuration wizard",
    save_overrides=True, hidden=True)

WIZARD = Menu("wizard", "Environment configuration wizard", (
    KITE_CREDENTIALS,
    Menu("monitoring", MONITORING.title, (
        _category("configure", MONITORING),
        _category("notifications", NOTIFICATIONS),
        Leaf("test_alert", "Send a test alert", "notify.test",
             help="One test message to every configured channel now; each channel's result is shown."),
    ), help="Health checks, metrics, the API, and where alerts are sent (Apprise URLs; secrets are masked)."),
    _category("database", DATABASE),
    _category("logging", LOGGING),
    _category("data_source", DATA_SOURCE),
    _category("performance", PERFORMANCE),
    _category("analytics", ANALYTICS),
    _category("security", SECURITY),
    _category("participants", PARTICIPANTS),
    Sequence("all", "Complete environment setup (all categories)",
             ("kite.api_key", "kite.api_secret", "kite.connection", "kite.redirect", "monitoring.configure", "database",
              "logging", "data_source", "performance", "analytics", "security", "participants",
              "monitoring.notifications"),
             stop_on_failure=True),
    FIRST_TIME,
), help="Writes .env; Enter keeps the current value.")
