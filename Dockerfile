# The OP Trading service in a container: `docker compose up -d app` (see docker-compose.yml and the README).
# The image holds the installed package only; configuration comes from the environment (.env through compose),
# and the project home /app/home keeps data, logs and the Kite token store on volumes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OP_TRADING_HOME=/app/home \
    API_PORT=8080

WORKDIR /opt/op-trading
COPY pyproject.toml setup.cfg README.md op_trading_setup.py ./
COPY op_trading ./op_trading
COPY menus ./menus
COPY wizards ./wizards
RUN pip install . \
    && useradd --create-home --uid 10001 --user-group optrading \
    && mkdir -p /app/home/data /app/home/logs /app/home/.secrets \
    && chown -R optrading:optrading /app/home \
    && chmod 700 /app/home/.secrets

USER optrading
WORKDIR /app/home
VOLUME ["/app/home/data", "/app/home/logs", "/app/home/.secrets"]
EXPOSE 8080

# /health of the service's API (API_PORT), with the API token when one is set (required beyond 127.0.0.1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; token = os.environ.get('API_TOKEN', ''); u.urlopen(u.Request('http://127.0.0.1:%s/health' % os.environ.get('API_PORT', '8080'), headers={'Authorization': 'Bearer ' + token} if token else {}), timeout=4)"]

# The long-running service (collection, schedules, alerts, API, metrics) in the foreground, headless: the same
# command as `python op_trading_setup.py service run` (docker restarts the container when it exits 1).
CMD ["op-trading", "service", "run", "--mode", "production"]
