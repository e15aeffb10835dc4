"""One source of truth: the template, the README reference, the code, compose and CI agree with the fields."""

import configparser
import re
from pathlib import Path

import yaml

from op_trading.config.template import render_template, replace_reference
from op_trading.services.prerequisites import REQUIRED
from wizards.environment import FIELDS

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for p in (ROOT / "op_trading").rglob("*.py") if "config" not in p.relative_to(ROOT / "op_trading").parts]
READ = re.compile(r"""(?:settings|self\.settings|ctx\.settings)(?:\[|\.get\(|\.path\(|\.shown\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def code_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in CODE)


def test_committed_template_is_generated_from_the_fields():
    assert (ROOT / "env-template.txt").read_text(encoding="utf-8") == render_template()


def test_readme_reference_is_generated_from_the_fields():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == replace_reference(readme)


def test_every_declared_variable_is_read_by_the_code():
    text = code_text()
    unread = [name for name in FIELDS if f'"{name}"' not in text and f"'{name}'" not in text]
    assert unread == []


def test_every_variable_the_code_reads_is_declared():
    read = set(READ.findall(code_text()))
    assert read and read <= set(FIELDS), sorted(read - set(FIELDS))


def test_no_product_setting_is_read_from_the_environment_directly():
    allowed = {"OP_TRADING_HOME", "OP_REQUIRE_SERVICES", "NO_COLOR", "TZ", "COLUMNS"}
    direct = set(re.findall(r"""os\.environ(?:\.get)?[\[(]\s*["']([A-Z_]+)["']""", code_text()))
    assert direct <= allowed, direct - allowed


def test_install_requires_and_prerequisite_check_list_the_same_packages():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    declared = {re.split(r"[<>=;\s]", line.strip())[0].lower()
                for line in config["options"]["install_requires"].splitlines() if line.strip()}
    assert declared == set(REQUIRED)


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2 and "collect" in block[0] and "pytest" in block[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1] in ci.splitlines()
    assert "OP_REQUIRE_SERVICES=1" in ci


def test_docker_compose_agrees_with_the_env_keys():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"influxdb", "redis", "prometheus", "grafana"} <= set(services)
    influx = services["influxdb"]["environment"]
    assert influx["DOCKER_INFLUXDB_INIT_ORG"] == "${INFLUXDB_ORG:-%s}" % FIELDS["INFLUXDB_ORG"].default
    assert influx["DOCKER_INFLUXDB_INIT_BUCKET"] == "${INFLUXDB_BUCKET:-%s}" % FIELDS["INFLUXDB_BUCKET"].default
    assert "INFLUXDB_RETENTION_DAYS" in influx["DOCKER_INFLUXDB_INIT_RETENTION"]
    assert "INFLUXDB_TOKEN" in influx["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]
    assert "127.0.0.1:8086:8086" in services["influxdb"]["ports"]
    assert "127.0.0.1:6379:6379" in services["redis"]["ports"]
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    compose_only = {"INFLUXDB_ADMIN_USER", "INFLUXDB_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert used - compose_only <= set(FIELDS)
    committed = re.findall(r"^\s+\w*(?:PASSWORD|TOKEN)\w*:\s*(?!\$\{)\S.*$", text, re.MULTILINE)
    assert committed == [], "a secret is committed in docker-compose.yml"


def test_grafana_reads_the_buckets():  # Prometheus' targets: tests/integration/test_docker_stack.py
    datasource = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/influxdb.yml").read_text(encoding="utf-8"))["datasources"][0]
    assert datasource["jsonData"]["organization"] == "$INFLUXDB_ORG"
    assert datasource["jsonData"]["defaultBucket"] == "$INFLUXDB_BUCKET"
    assert datasource["secureJsonData"]["token"] == "$INFLUXDB_TOKEN"
