"""Development: tests, analytics configuration, the local simulator, debug tools."""

from op_trading.ui.model import Configure, Leaf, Menu, Sequence

TEST_CATEGORIES = (
    ("unit", "Unit"),
    ("integration", "Integration"),
    ("performance", "Performance"),
    ("chaos", "Chaos engineering"),
    ("property", "Property-based"),
    ("live", "Live data"),
    ("mock", "Mock data"),
    ("participant", "Participant analysis"),
)

TESTS = Menu("tests", "Test mode selection", tuple(
    Leaf(category, title, "testing.run", params={"category": category}) for category, title in TEST_CATEGORIES
) + (Leaf("all", "Run all test categories", "testing.run", params={"category": "all"}),),
    help="Runs pytest with this interpreter; progress while it runs, a summary after.")

PARTICIPANT_CONFIG = Menu("participants", "Participant analysis configuration", (
    Configure("fii", "FII tracking", ("ENABLE_PARTICIPANT_ANALYSIS", "ENABLE_FII_ANALYSIS")),
    Configure("dii", "DII tracking", ("ENABLE_PARTICIPANT_ANALYSIS", "ENABLE_DII_ANALYSIS")),
    Configure("pro", "Pro traders analysis", ("ENABLE_PARTICIPANT_ANALYSIS", "ENABLE_PRO_TRADER_ANALYSIS")),
    Configure("client", "Client (retail) analysis", ("ENABLE_PARTICIPANT_ANALYSIS", "ENABLE_CLIENT_ANALYSIS")),
    Configure("cash_flow_panel", "Cash flow panel configuration", ("ENABLE_CASH_FLOW_TRACKING", "CASH_FLOW_PANELS")),
    Configure("position_change", "Position change monitoring",
              ("ENABLE_POSITION_MONITORING", "POSITION_MONITOR_INTERVAL")),
    Configure("alert_thresholds", "Alert threshold settings",
              ("FII_ALERT_THRESHOLD_CRORES", "DII_ALERT_THRESHOLD_CRORES", "PRO_CLIENT_DIVERGENCE_CONTRACTS",
               "CASH_FLOW_ALERT_THRESHOLD_CRORES", "OI_CHANGE_ALERT_PERCENT")),
    Configure("history", "Historical data integration",
              ("PARTICIPANT_DATA_DIR", "PARTICIPANT_DOWNLOAD_ENABLED", "PARTICIPANT_HISTORY_DAYS")),
    Leaf("show", "Show participant positions and FII/DII cash", "analytics.participants",
         help="Imports NSE's participant files (simulated ones in mock mode) and shows the panel."),
), help="What the participant panels track, and when they alert.")

CASH_FLOW = Menu("cash_flow", "Cash flow tracking setup", (
    Configure("enable", "Enable real-time cash flow tracking", ("ENABLE_CASH_FLOW_TRACKING",)),
    Configure("panels", "Configure buying/selling panels", ("CASH_FLOW_PANELS",)),
    Configure("thresholds", "Set alert thresholds (default ₹100 crore)", ("CASH_FLOW_ALERT_THRESHOLD_CRORES",)),
    Configure("timeframes", "Set up timeframe toggles (1m 5m 15m 30m 1h 1d 1w)", ("CASH_FLOW_TIMEFRAMES",)),
    Configure("retention", "Historical retention (default 90 days)", ("CASH_FLOW_RETENTION_DAYS",)),
    Configure("sectors", "Sector-wise analysis", ("CASH_FLOW_SECTOR_ANALYSIS",)),
    Configure("premarket", "Pre-market data capture (default 08:00 IST)",
              ("PREMARKET_CAPTURE_ENABLED", "PREMARKET_CAPTURE_TIME")),
    Leaf("show", "Show cash flows by timeframe (live)", "analytics.live_view", params={"view": "flows"}),
))

POSITIONS = Menu("positions", "Position monitoring configuration", (
    Configure("enable", "Enable position change tracking", ("ENABLE_POSITION_MONITORING",)),
    Configure("interval", "Monitoring interval (1m / 5m / 15m / 30m / 1h)", ("POSITION_MONITOR_INTERVAL",)),
    Configure("oi_alerts", "OI change alerts", ("OI_CHANGE_ALERT_PERCENT",)),
    Configure("net", "Net position calculations", ("NET_POSITION_ENABLED",)),
    Configure("patterns", "Historical pattern analysis", ("POSITION_PATTERN_LOOKBACK_DAYS",)),
    Leaf("show", "Show OI position changes (live)", "analytics.live_view", params={"view": "positions"}),
    Leaf("chain", "Show option chain with Greeks (index and expiry by number)", "analytics.option_chain",
         help="From the running service when one runs; else the stored snapshots; else one snapshot taken now."),
))

DEVELOPMENT = Menu("development", "Development", (
    TESTS,
    PARTICIPANT_CONFIG,
    CASH_FLOW,
    POSITIONS,
    Leaf("mock", "Mock data environment setup", "sandbox.mock_environment",
         help="Starts the local Kite simulator, issues a session, collects a few cycles and shows them."),
    Configure("fallback", "Live data fallback configuration", ("DATA_SOURCE_MODE", "MOCK_FALLBACK_ENABLED")),
    Leaf("debug", "Debug tools initialization", "system.debug_tools",
         help="Debug logging, raw quote capture, and a report of where logs and captures go."),
    Sequence("all", "Complete development environment setup",
             ("setup.requirements", "setup.prerequisites", "setup.structure", "debug", "mock")),
), help="Offline development against the local Kite simulator.")
