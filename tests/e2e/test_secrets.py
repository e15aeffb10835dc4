"""Planted secrets, passwords inside URLs included, never reach the screen, a log or any file but `.env`.

Every way a user meets these settings runs once: status, the headless setup sequence (services, validation and a
dry cycle try the URLs), the wizard's Database screen through a pipe, one collection cycle. Then every byte of
output and every file under the project home except `.env` and its backup is searched.
"""

import socket

from tests.e2e.helpers import run_app

INFLUX_PASSWORD = "PlantedInfluxPw4821"
REDIS_PASSWORD = "PlantedRedisPw7390"
API_SECRET = "PlantedApiSecret5512xyz"
INFLUX_TOKEN = "PlantedInfluxToken8831abc"
PLANTED = (INFLUX_PASSWORD, REDIS_PASSWORD, API_SECRET, INFLUX_TOKEN)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_url_passwords_and_secrets_are_never_shown_logged_or_left_in_files(project_home):
    port = _closed_port()
    (project_home / ".env").write_text(
        f"INFLUXDB_URL=http://admin:{INFLUX_PASSWORD}@127.0.0.1:{port}\n"
        f"REDIS_URL=redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0\n"
        f"INFLUXDB_TOKEN={INFLUX_TOKEN}\nKITE_API_KEY=plantedkey1\nKITE_API_SECRET={API_SECRET}\n"
        "LOG_LEVEL=DEBUG\n", encoding="utf-8")
    runs = [
        run_app(project_home, "status"),
        run_app(project_home, "--mode", "setup", "--auto"),
        run_app(project_home, stdin="1\n4\n3\n" + "\n" * 12 + "0\n0\n0\n"),  # wizard > Database, Enter keeps all
        run_app(project_home, "run", "setup.services", "--auto"),
        run_app(project_home, "collect", "--cycles", "1", "--set", "SIMULATOR_SPEED=600"),
    ]
    output = "\n".join(run.stdout + run.stderr for run in runs)
    assert "127.0.0.1" in output and "****" in output  # the URLs were shown, masked
    for secret in PLANTED:
        assert secret not in output, f"{secret} shown on screen"
    files = [path for path in project_home.rglob("*") if path.is_file() and path.name not in (".env", ".env.bak")]
    assert any(path.suffix == ".log" or ".log" in path.name for path in files)  # the log was written and searched
    for path in files:
        data = path.read_bytes()
        for secret in PLANTED:
            assert secret.encode() not in data, f"{secret} found in {path.relative_to(project_home)}"
    assert not [path for path in files if path.name.endswith(".tmp")]
