"""Every configuration variable of the product, declared once.

The wizard asks these, `--auto` resolves them, `op_trading.config.settings` types and validates them, and
`env-template.txt` is generated from them (a test keeps the committed template equal to this list). Every variable
here is read by the code; a test checks that too. Data only: no imports from the core beyond the field types.

Mode profiles are defaults, not branches: `profiles={"production": ...}` changes the default a mode starts from.
"""

from op_trading.config.fields import Field, Section

PRODUCTION = ("production",)
# Runtime rules beyond a field's kind (see Field.check): the function the runtime itself applies to the value.
FOLDER = "op_trading.config.checks:usable_folder"
FILE_LOCATION = "op_trading.config.checks:usable_file_location"
INDEX_CHOICES = ("NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "1d", "1w")

KITE = Section("kite", "Kite Connect API credentials", (
    Field("KITE_API_KEY", "Kite Connect API key",
          "The api_key of your Kite Connect app (developers.kite.trade > My apps).",
          pattern=r"[A-Za-z0-9]{6,64}", secret=True, required_for=PRODUCTION),
    Field("KITE_API_SECRET", "Kite Connect API secret",
          "The api_secret of the same app. Stays in .env; never printed or logged.",
          pattern=r"[A-Za-z0-9]{6,64}", secret=True, required_for=PRODUCTION),
    Field("KITE_ACCESS_TOKEN", "Kite access token (optional)",
          "An access token to verify and move into the token store; normally you log in instead. Never kept in .env.",
          pattern=r"[A-Za-z0-9]{8,128}", secret=True, persist=False),
    Field("KITE_REDIRECT_URL", "Redirect URL registered in your Kite app",
          "Must equal the app's Redirect URL; the login flow listens on this 127.0.0.1 address for request_token.",
          default="http://127.0.0.1:5000/success", kind="url"),
    Field("KITE_API_ROOT", "Kite API root",
          "https://api.kite.trade for the real API; the local simulator's URL for offline work.",
          default="https://api.kite.trade", kind="url"),
    Field("KITE_LOGIN_URL", "Kite login page",
          "Where the browser logs in; the simulator serves its own login page.",
          default="https://kite.zerodha.com/connect/login", kind="url"),
    Field("KITE_LOGIN_TIMEOUT_SECONDS", "Seconds to wait for the login redirect",
          "After this the login flow offers to paste the redirect URL instead.",
          default="180", kind="int", minimum=10, maximum=1800),
    Field("KITE_REQUEST_TIMEOUT_SECONDS", "Kite HTTP timeout (seconds)",
          "Per-request timeout of the Kite client.", default="7", kind="float", minimum=1, maximum=120),
    Field("KITE_MAX_RETRIES", "Attempts for a Kite call",
          "429, 5xx and timeouts are retried with backoff and jitter up to this many attempts.",
          default="4", kind="int", minimum=1, maximum=10),
))

MONITORING = Section("monitoring", "Monitoring and health checks", (
    Field("HEALTH_CHECK_INTERVAL_SECONDS", "Health check interval (seconds)",
          "How often the service checks the Kite session, storage and cache.",
          default="60", kind="int", minimum=5, maximum=3600),
    Field("METRICS_PORT", "Prometheus metrics port (0 = off)",
          "The running service serves /metrics on 127.0.0.1 at this port for Prometheus.",
          default="0", kind="int", minimum=0, maximum=65535, profiles={"production": "8000"}),
    Field("ALERTS_ENABLED", "Raise alerts",
          "Alerts go to the log, the store and the console view.",
          default="true", kind="bool", profiles={"setup": "false"}),
    Field("SERVICE_MAX_RESTARTS", "Thread restarts before the service gives up",
          "A crashed collection or schedule thread is restarted with backoff; after this many crashes of one thread "
          "the service stops with exit 1 and one alert (a service manager then restarts the whole process).",
          default="5", kind="int", minimum=1, maximum=100),
    Field("ALERT_COOLDOWN_MINUTES", "Alert cool-down (minutes)",
          "The same alert is not raised again within this many minutes.",
          default="15", kind="int", minimum=0, maximum=1440),
    Field("API_PORT", "REST API and web dashboard port (0 = off)",
          "The running service serves the API, WebSocket streams and the dashboard here (also /health, /metrics).",
          default="8080", kind="int", minimum=0, maximum=65535),
    Field("API_HOST", "Address the API listens on",
          "127.0.0.1 = this machine only. Any other address (e.g. 0.0.0.0) requires API_TOKEN.",
          default="127.0.0.1", pattern=r"[0-9A-Za-z.:\-]{1,64}"),
    Field("API_TOKEN", "API token (empty = none; required beyond 127.0.0.1)",
          "Checked on every request and WebSocket (Authorization: Bearer <token>). Enter accepts a fresh random one.",
          pattern=r"[A-Za-z0-9_\-]{16,128}", secret=True, generate="token"),
    Field("API_CORS_ORIGINS", "Web origins allowed to call the API (CORS; empty = none)",
          "Comma list such as https://my-dashboard.example; empty sends no CORS headers.", kind="list"),
    Field("API_RATE_LIMIT_PER_MINUTE", "API requests per minute per client (0 = unlimited)", "",
          default="600", kind="int", minimum=0, maximum=100000),
))

DATABASE = Section("database", "Database (InfluxDB, infinite retention)", (
    Field("STORAGE_SINKS", "Where collected data is stored",
          "Comma list of embedded (default, no server), influxdb, csv, json.",
          default="embedded,csv", kind="list", choices=("embedded", "influxdb", "csv", "json")),
    Field("DATA_DIR", "Data folder", "Embedded store, CSV files, spool and caches live here.", default="data",
          kind="path", check=FOLDER),
    Field("EMBEDDED_RAW_RETENTION_DAYS", "Days of raw option legs and chains kept in full (0 = forever)",
          "Older atm_option_quote / option_chain points are pruned or downsampled in the background (daily); "
          "overviews, chain metrics, rollups, participants and alerts are always kept.",
          default="0", kind="int", minimum=0, maximum=36500),
    Field("EMBEDDED_RAW_DOWNSAMPLE_MINUTES", "Keep one raw point per N minutes after that (0 = delete)",
          "With retention on: 15 keeps the last point of every 15 minutes of each leg and strike; 0 deletes them.",
          default="15", kind="int", minimum=0, maximum=1440),
    Field("INFLUXDB_URL", "InfluxDB URL (empty = not used)",
          "For example http://localhost:8086 with docker compose. Empty keeps everything embedded.", kind="url"),
    Field("INFLUXDB_TOKEN", "InfluxDB API token", "An all-access or read/write token for the org.", secret=True),
    Field("INFLUXDB_ORG", "InfluxDB organisation", "", default="op-trading", pattern=r"[\w.-]{1,64}"),
    Field("INFLUXDB_BUCKET", "Bucket for option and index data", "", default="options-data",
          pattern=r"[\w.-]{1,64}"),
    Field("INFLUXDB_PARTICIPANT_BUCKET", "Bucket for participant flows", "", default="participant-flows",
          pattern=r"[\w.-]{1,64}"),
    Field("INFLUXDB_CASHFLOW_BUCKET", "Bucket for cash flows", "", default="cash-flows", pattern=r"[\w.-]{1,64}"),
    Field("INFLUXDB_RETENTION_DAYS", "Bucket retention in days (0 = infinite)",
          "Used when the buckets are created; setup checks existing buckets against it (production keeps data forever).",
          default="0", kind="int", minimum=0, maximum=36500, profiles={"setup": "7"}),
    Field("INFLUXDB_DOWNSAMPLE_BUCKET", "Bucket for 5-minute aggregates (empty = off)",
          "Setup creates it and an InfluxDB task that copies the last value of each 5-minute window of chain_metrics "
          "and index_overview there, for fast long-range dashboards.", pattern=r"[\w.-]{1,64}"),
    Field("INFLUXDB_BATCH_SIZE", "Points per InfluxDB write", "", default="5000", kind="int", minimum=1,
          maximum=100000),
    Field("REDIS_URL", "Redis URL (empty = in-process cache)", "For example redis://127.0.0.1:6379/0.",
          kind="url"),
))

LOGGING = Section("logging", "Logging and monitoring", (
    Field("LOG_LEVEL", "Log level", "", default="INFO", kind="choice",
          choices=("DEBUG", "INFO", "WARNING", "ERROR"), profiles={"development": "DEBUG"}),
    Field("LOG_DIR", "Log folder", "", default="logs", kind="path", check=FOLDER),
    Field("LOG_FORMAT", "Log format", "text for people, json for log shippers.", default="text", kind="choice",
          choices=("text", "json")),
    Field("LOG_RETENTION_DAYS", "Days of log files to keep", "", default="30", kind="int", minimum=1,
          maximum=3650),
    Field("DEBUG_SAVE_RAW_QUOTES", "Save raw quote responses (debug)",
          "Each cycle's raw quote response is written under DATA_DIR/debug for inspection.",
          default="false", kind="bool"),
))

DATA_SOURCE = Section("data_source", "Data source and market data", (
    Field("DATA_SOURCE_MODE", "Market data source",
          "live = Kite Connect; mock = the local simulator (always labelled mock).",
          default="mock", kind="choice", choices=("live", "mock"), profiles={"production": "live"}),
    Field("MOCK_FALLBACK_ENABLED", "Fall back to mock data when live data fails (development only)",
          "Fallback data is labelled mock everywhere. Refused in production.", default="false", kind="bool"),
    Field("INDICES", "Indices to collect", "", default=",".join(INDEX_CHOICES), kind="list",
          choices=INDEX_CHOICES),
    Field("COLLECTION_INTERVAL_SECONDS", "Collection interval (seconds)",
          "Cycles align to this interval (30 gives :00 and :30).", default="30", kind="int", minimum=5,
          maximum=3600),
    Field("SIMULATOR_PORT", "Local simulator port", "", default="8765", kind="int", minimum=1024, maximum=65535),
    Field("SIMULATOR_SEED", "Simulator random seed", "Same seed, same market.", default="42", kind="int",
          minimum=0),
    Field("SIMULATOR_SPEED", "Simulator clock speed",
          "1 = real time; 60 = one simulated minute per second.", default="1", kind="float", minimum=0.1,
          maximum=3600),
    Field("SIMULATOR_FAULTS", "Simulator fault injection",
          "Comma list such as 429_burst=3,error_rate=0.1,slow_ms=200,malformed_rate=0.05,token_ttl=600.",
          pattern=r"[a-z0-9_]+=[0-9.]+(,[a-z0-9_]+=[0-9.]+)*", check="op_trading.sandbox.faults:parse_faults"),
))

PERFORMANCE = Section("performance", "Performance optimization", (
    Field("QUOTE_BATCH_SIZE", "Instruments per quote call", "Kite allows 500 per /quote call.",
          default="500", kind="int", minimum=1, maximum=500),
    Field("CACHE_QUOTE_TTL_SECONDS", "Cache lifetime of quotes and overviews (seconds)", "", default="30",
          kind="int", minimum=1, maximum=3600),
    Field("CACHE_ANALYTICS_TTL_SECONDS", "Cache lifetime of analytics (seconds)", "", default="300", kind="int",
          minimum=1, maximum=86400),
    Field("SPOOL_MAX_MB", "Disk spool limit for unreachable sinks (MB)", "", default="512", kind="int",
          minimum=1, maximum=100000),
))

ANALYTICS = Section("analytics", "Options analytics", (
    Field("STRIKE_OFFSETS", "Strike offsets around ATM", "", default="-2,-1,0,1,2", kind="int_list",
          minimum=-10, maximum=10),
    Field("IV_RISK_FREE_RATE", "Risk-free rate for IV", "Annual, as a fraction (0.065 = 6.5%).",
          default="0.065", kind="float", minimum=0, maximum=0.5),
    Field("IV_DIVIDEND_YIELD", "Dividend yield for IV", "Annual, as a fraction.", default="0", kind="float",
          minimum=0, maximum=0.2),
    Field("IV_MODEL", "IV model",
          "black_scholes on spot; black76 on the synthetic forward; nse = Black-Scholes with r = 10%.",
          default="black_scholes", kind="choice", choices=("black_scholes", "black76", "nse")),
    Field("LIVE_ANALYTICS_ENABLED", "Compute chain metrics every cycle", "", default="true", kind="bool"),
    Field("CHAIN_SNAPSHOT_SECONDS", "Full option chain snapshot every (seconds, 0 = off)",
          "PCR, max pain and skew use the whole chain around ATM; each snapshot costs one or two extra quote calls.",
          default="300", kind="int", minimum=0, maximum=3600),
    Field("CHAIN_STRIKE_WINDOW", "Strikes each side of ATM in a chain snapshot", "", default="20", kind="int",
          minimum=2, maximum=100),
    Field("ANALYTICS_REFRESH_SECONDS", "Live view refresh (seconds)", "", default="5", kind="int", minimum=1,
          maximum=600),
    Field("BUILDUP_OI_THRESHOLD_PERCENT", "OI change that counts as buildup (%)", "", default="2", kind="float",
          minimum=0, maximum=100),
    Field("BUILDUP_PRICE_THRESHOLD_PERCENT", "Price change that counts as buildup (%)", "", default="0.5",
          kind="float", minimum=0, maximum=100),
    Field("IV_SPIKE_ALERT_POINTS", "IV spike alert (vol points)", "", default="3", kind="float", minimum=0,
          maximum=100),
    Field("VOLUME_SPIKE_MULTIPLIER", "Volume spike alert (x average)", "", default="3", kind="float",
          minimum=1, maximum=100),
))

SECURITY = Section("security", "Security and authentication", (
    Field("TOKEN_FILE", "Token store", "Owner-only file holding the access token and its expiry.",
          default=".secrets/kite_token.json", kind="path", check=FILE_LOCATION),
    Field("OPEN_BROWSER_FOR_LOGIN", "Open the browser for Kite login", "Otherwise the login URL is printed.",
          default="true", kind="bool"),
))

PARTICIPANTS = Section("participants", "Participant analysis", (
    Field("ENABLE_PARTICIPANT_ANALYSIS", "Participant analysis", "", default="true", kind="bool",
          profiles={"setup": "false"}),
    Field("ENABLE_FII_ANALYSIS", "FII tracking", "", default="true", kind="bool"),
    Field("ENABLE_DII_ANALYSIS", "DII tracking", "", default="true", kind="bool"),
    Field("ENABLE_PRO_TRADER_ANALYSIS", "Pro traders analysis", "", default="true", kind="bool"),
    Field("ENABLE_CLIENT_ANALYSIS", "Client (retail) analysis", "", default="true", kind="bool"),
    Field("PARTICIPANT_DATA_DIR", "Folder of NSE participant files", "fao_participant_oi/vol_DDMMYYYY.csv.",
          default="data/participants", kind="path", check=FOLDER),
    Field("PARTICIPANT_DOWNLOAD_ENABLED", "Download participant files from NSE", "", default="false",
          kind="bool"),
    Field("PARTICIPANT_HISTORY_DAYS", "Participant history to keep (days)", "", default="365", kind="int",
          minimum=1, maximum=3650),
    Field("FII_ALERT_THRESHOLD_CRORES", "FII cash flow alert (Rs crore)", "", default="500", kind="float",
          minimum=0),
    Field("DII_ALERT_THRESHOLD_CRORES", "DII cash flow alert (Rs crore)", "", default="300", kind="float",
          minimum=0),
    Field("PRO_CLIENT_DIVERGENCE_CONTRACTS", "Pro-client divergence alert (contracts)",
          "Alert when pro and client net index futures move apart by this many contracts in a day.",
          default="20000", kind="int", minimum=0),
    Field("ENABLE_CASH_FLOW_TRACKING", "Real-time cash flow tracking", "", default="true", kind="bool"),
    Field("CASH_FLOW_PANELS", "Cash flow panels", "", default="buying,selling", kind="list",
          choices=("buying", "selling", "net")),
    Field("CASH_FLOW_ALERT_THRESHOLD_CRORES", "Large cash flow alert (Rs crore)", "", default="100",
          kind="float", minimum=0),
    Field("CASH_FLOW_TIMEFRAMES", "Timeframe toggles", "", default=",".join(TIMEFRAMES), kind="list",
          choices=TIMEFRAMES),
    Field("CASH_FLOW_RETENTION_DAYS", "Cash flow history (days)", "", default="90", kind="int", minimum=1,
          maximum=3650),
    Field("CASH_FLOW_SECTOR_ANALYSIS", "Sector-wise analysis (banks, financials, midcaps, broad market)", "",
          default="true", kind="bool"),
    Field("PREMARKET_CAPTURE_ENABLED", "Pre-market data capture", "", default="true", kind="bool"),
    Field("PREMARKET_CAPTURE_TIME", "Pre-market capture time (IST)", "", default="08:00", kind="time"),
    Field("PARTICIPANT_IMPORT_TIME", "Participant and FII/DII import time (IST)",
          "The service imports the day's participant OI/volume files and FII/DII cash data at this time on trading "
          "days (NSE publishes them in the evening), then raises participant alerts.",
          default="18:30", kind="time"),
    Field("PARTICIPANT_IMPORT_RETRY_MINUTES", "Minutes between import attempts",
          "While the day's files are not there yet, the import is tried again after this many minutes.",
          default="30", kind="int", minimum=1, maximum=240),
    Field("PARTICIPANT_IMPORT_ATTEMPTS", "Import attempts per day",
          "How many times the import is tried before waiting for the next trading day.",
          default="8", kind="int", minimum=1, maximum=48),
    Field("ENABLE_POSITION_MONITORING", "Position change tracking", "", default="true", kind="bool"),
    Field("POSITION_MONITOR_INTERVAL", "Position monitoring interval", "", default="5m", kind="choice",
          choices=("1m", "5m", "15m", "30m", "1h")),
    Field("OI_CHANGE_ALERT_PERCENT", "OI change alert (%)", "", default="10", kind="float", minimum=0,
          maximum=1000),
    Field("NET_POSITION_ENABLED", "Net position calculations", "", default="true", kind="bool"),
    Field("POSITION_PATTERN_LOOKBACK_DAYS", "Historical pattern lookback (days, 0 = off)", "", default="20",
          kind="int", minimum=0, maximum=365),
))

_SEVERITY_HELP = "Alerts below this severity are not sent to this channel (info < warning < critical)."
_NOTIFY_URL = "op_trading.notify.channels:check_url"


def _channel(env: str, prompt: str, example: str) -> tuple[Field, Field]:
    return (Field(f"NOTIFY_{env}_URL", f"{prompt} notification URL (empty = off)", f"Apprise URL, e.g. {example}",
                  secret=True, check=_NOTIFY_URL),
            Field(f"NOTIFY_{env}_MIN_SEVERITY", f"{prompt}: minimum severity", _SEVERITY_HELP, default="warning",
                  kind="choice", choices=("info", "warning", "critical")))


NOTIFICATIONS = Section("notifications", "Alert notifications (Telegram, e-mail, Discord/Slack, ntfy, webhook)", (
    *_channel("TELEGRAM", "Telegram", "tgram://bot-token/chat-id"),
    *_channel("EMAIL", "E-mail", "mailtos://user:app-password@smtp.gmail.com?to=you@example.com"),
    *_channel("CHAT", "Discord or Slack", "discord://webhook-id/webhook-token or slack://TokenA/TokenB/TokenC"),
    *_channel("NTFY", "ntfy", "ntfys://ntfy.sh/your-private-topic"),
    *_channel("WEBHOOK", "Generic webhook", "jsons://example.com/op-alerts (JSON POST)"),
    Field("NOTIFY_RETRIES", "Retries of a failed delivery",
          "A failed send is retried this many times with doubling waits, then logged; collection never waits.",
          default="3", kind="int", minimum=0, maximum=10),
    Field("TELEGRAM_API_ROOT", "Telegram Bot API root", "Change only for a proxy or a local stand-in.",
          default="https://api.telegram.org", kind="url"),
))

SECTIONS = (KITE, MONITORING, DATABASE, LOGGING, DATA_SOURCE, PERFORMANCE, ANALYTICS, SECURITY, PARTICIPANTS,
            NOTIFICATIONS)
FIELDS = {f.env: f for section in SECTIONS for f in section.fields}
