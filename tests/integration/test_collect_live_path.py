"""`run_collection` in live mode: the stored token, the official client at KITE_API_ROOT (here the simulator),
the TokenException stop, and the development-only mock fallback (refused in production)."""

import pytest

from op_trading.collectors.loop import TOKEN_EXPIRED_MESSAGE
from op_trading.kite.tokens import TokenRecord, TokenStore
from op_trading.market.calendar import now_ist
from op_trading.outcome import ExitCode, Status
from op_trading.runtime.collect import MOCK_LABEL, run_collection
from tests.fixtures_collect import sim_settings, start_simulator


@pytest.fixture
def live_sim():
    # The live path runs on the real IST clock, so the simulator's market day is today's too.
    sandbox = start_simulator(now_ist().replace(tzinfo=None).isoformat(timespec="seconds"))
    yield sandbox
    sandbox.stop()


def live_settings(sandbox, mode="development", **overrides):
    return sim_settings(mode, DATA_SOURCE_MODE="live", KITE_API_KEY=sandbox.api_key, KITE_API_ROOT=sandbox.url,
                        STORAGE_SINKS="embedded", **overrides)


def store_token(settings, token):
    TokenStore.from_settings(settings).save(TokenRecord.issued_now(token, settings["KITE_API_KEY"], "AB1234"))


def test_live_collection_uses_the_stored_token_and_caches_the_dumps(live_sim, project_home):
    settings = live_settings(live_sim)
    store_token(settings, live_sim.issue_access_token())
    reports = []
    outcome = run_collection(settings, cycles=1, on_cycle=reports.append)
    assert outcome.data["source"] == "live" and outcome.data["cycles"] == 1, outcome
    assert MOCK_LABEL not in outcome.message
    assert {leg["source"] for leg in reports[0].cycle.legs} == {"live"}
    cached = {path.name.split("_")[0] for path in (project_home / "data" / "cache" / "instruments").iterdir()}
    assert cached == {"NFO", "BFO", "INDICES"}
    assert live_sim.count("GET /instruments/{exchange}") == 4


def test_a_rejected_token_stops_with_one_clear_message_and_marks_the_token(live_sim):
    settings = live_settings(live_sim)
    store_token(settings, live_sim.issue_access_token())
    live_sim.expire_tokens()
    outcome = run_collection(settings, cycles=3)
    assert outcome.status == Status.FAILED and outcome.exit_code == ExitCode.AUTH_REQUIRED
    assert outcome.message == TOKEN_EXPIRED_MESSAGE
    assert live_sim.stats()["total"] == 1  # one 403, no retries, no further calls
    assert TokenStore.from_settings(settings).load().invalid_reason  # the header will say why


def test_without_a_token_live_collection_does_not_start(live_sim):
    outcome = run_collection(live_settings(live_sim), cycles=1)
    assert outcome.status == Status.FAILED and outcome.exit_code == ExitCode.AUTH_REQUIRED
    assert "Live collection cannot start" in outcome.message
    assert live_sim.stats()["total"] == 0


def test_mock_fallback_in_development_is_loudly_labelled(live_sim):
    settings = live_settings(live_sim, MOCK_FALLBACK_ENABLED="true", SIMULATOR_SPEED="120")
    reports = []
    outcome = run_collection(settings, cycles=1, on_cycle=reports.append)
    assert outcome.status == Status.WARN and outcome.data["source"] == "mock"
    assert outcome.checks[0].name == "Fallback to mock" and MOCK_LABEL in outcome.message
    assert {leg["source"] for leg in reports[0].cycle.legs} == {"mock"}
    assert live_sim.stats()["total"] == 0  # the user's configured simulator/API was not used


def test_mock_fallback_is_refused_in_production(live_sim):
    settings = live_settings(live_sim, mode="production", MOCK_FALLBACK_ENABLED="true")
    outcome = run_collection(settings, cycles=1)
    assert outcome.status == Status.FAILED and outcome.exit_code == ExitCode.AUTH_REQUIRED
    assert "refused in production" in outcome.message
