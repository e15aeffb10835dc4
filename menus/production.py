"""Production: checks, the daily Kite login, analytics and alert settings, and the long-running service."""

from op_trading.ui.model import Configure, Leaf, Menu, Sequence
from wizards.environment import NOTIFICATIONS

LIVE_ANALYTICS = Menu("analytics", "Live analytics configuration", (
    Configure("configure", "Chain metrics, IV model and buildup thresholds",
              ("LIVE_ANALYTICS_ENABLED", "ANALYTICS_REFRESH_SECONDS", "CHAIN_SNAPSHOT_SECONDS", "CHAIN_STRIKE_WINDOW",
               "STRIKE_OFFSETS", "IV_MODEL", "IV_RISK_FREE_RATE", "IV_DIVIDEND_YIELD", "BUILDUP_OI_THRESHOLD_PERCENT",
               "BUILDUP_PRICE_THRESHOLD_PERCENT")),
    Leaf("show", "Show live chain metrics, breadth and volatility regime", "analytics.live_view",
         params={"view": "overview"}),
    Leaf("flows", "Show cash flows by timeframe", "analytics.live_view", params={"view": "flows"}),
    Leaf("positions", "Show OI position changes", "analytics.live_view", params={"view": "positions"}),
    Leaf("chain", "Option chain (index and expiry by number, Greeks)", "analytics.option_chain",
         help="From the running service when one runs; else the stored snapshots; else one snapshot taken now."),
), help="Live views run collection and analytics on the configured source and refresh until Ctrl-C.")

PARTICIPANT_ALERTS = Menu("participants", "Participant analysis with real-time alerts", (
    Configure("configure", "Participant tracking and alert thresholds",
              ("ENABLE_PARTICIPANT_ANALYSIS", "FII_ALERT_THRESHOLD_CRORES", "DII_ALERT_THRESHOLD_CRORES",
               "PRO_CLIENT_DIVERGENCE_CONTRACTS", "ALERTS_ENABLED")),
    Leaf("show", "Show participant positions and FII/DII cash", "analytics.participants"),
    Leaf("alerts", "Show live alerts", "analytics.live_view", params={"view": "alerts"}),
    Leaf("premarket", "Show the pre-market summary", "analytics.premarket",
         help="The latest pre-market capture: overnight gaps, previous session's participant positions, FII/DII cash."),
))

MONITORING_SETTINGS = Configure("configure", "Monitoring, API, alert and schedule settings",
                       ("HEALTH_CHECK_INTERVAL_SECONDS", "METRICS_PORT", "API_PORT", "API_HOST", "API_TOKEN",
                        "API_CORS_ORIGINS", "API_RATE_LIMIT_PER_MINUTE", "ALERTS_ENABLED", "ALERT_COOLDOWN_MINUTES",
                        "IV_SPIKE_ALERT_POINTS", "VOLUME_SPIKE_MULTIPLIER", "LOG_LEVEL", "SERVICE_MAX_RESTARTS",
                        "PARTICIPANT_IMPORT_TIME", "PARTICIPANT_IMPORT_RETRY_MINUTES", "PARTICIPANT_IMPORT_ATTEMPTS",
                        "PREMARKET_CAPTURE_TIME"))

MONITORING = Menu("monitoring", "Monitoring and alerting setup", (
    MONITORING_SETTINGS,
    Configure("notifications", "Alert notification channels (Telegram, e-mail, Discord/Slack, ntfy, webhook)",
              tuple(f.env for f in NOTIFICATIONS.fields)),
    Leaf("test_alert", "Send a test alert", "notify.test"),
    Leaf("service_status", "Show whether the background service is installed and running", "service.status"),
    Leaf("service_install", "Install the background service (systemd / launchd / Task Scheduler)",
         "service.install", requires=("KITE_API_KEY",),
         help="Shows the generated file and asks before writing it; equivalent to `op_trading_setup.py service "
              "install`."),
    Leaf("service_uninstall", "Uninstall the background service", "service.uninstall"),
), help="The background service runs `python op_trading_setup.py service run` unattended: collection, "
        "schedules, alerts, API, metrics.")

PRODUCTION = Menu("production", "Production", (
    Sequence("checks", "Perform all system checks and validations",
             ("setup.requirements", "setup.prerequisites", "setup.services", "setup.validate", "token_status")),
    Leaf("login", "Kite Connect authentication setup", "kite.login", requires=("KITE_API_KEY", "KITE_API_SECRET"),
         help="Opens the Kite login page and captures the redirect on 127.0.0.1; or paste the redirect URL."),
    Leaf("manual_token", "Enter valid access token manually", "kite.manual_token", requires=("KITE_API_KEY",),
         help="Verified with one profile() call before it is saved."),
    Leaf("previous_token", "Use previous/existing token", "kite.previous_token", requires=("KITE_API_KEY",)),
    LIVE_ANALYTICS,
    PARTICIPANT_ALERTS,
    MONITORING,
    Leaf("deploy", "Production environment deployment", "runtime.deploy",
         requires=("KITE_API_KEY", "token"),
         help="Validates config and token, bootstraps storage, then runs the service in the foreground."),
    Sequence("all", "Complete production setup with all features",
             ("setup.requirements", "setup.prerequisites", "setup.structure", "setup.services", "login",
              "setup.validate", "deploy"), stop_on_failure=True),
    Leaf("token_status", "Kite token status", "kite.token_status", hidden=True),
), help="Live data from Kite Connect.")
