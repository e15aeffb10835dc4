"""The simulator check (Development): its quote table shows Change as last minus previous close (Kite sends
net_change 0), and a simulator port taken at the last moment falls back to a free port."""

from op_trading.runtime.actions import QUOTE_KEYS, _quote_table


def test_change_is_last_minus_previous_close_not_net_change():
    key = QUOTE_KEYS[0]
    quote = {"last_price": 24150.5, "net_change": 0, "ohlc": {"open": 24000, "high": 24200, "low": 23950,
                                                               "close": 24000.0}}
    table = _quote_table({key: quote})
    row = next(row for row in table.rows if row[0] == key)
    assert row[2] == "+150.50 (+0.63%)"
    assert all(row[1:] == ("-", "-", "-", "-") for row in table.rows if row[0] != key)


def test_a_falling_index_shows_a_negative_change():
    key = QUOTE_KEYS[0]
    table = _quote_table({key: {"last_price": 99.0, "ohlc": {"close": 100.0}}})
    assert table.rows[0][2] == "-1.00 (-1.00%)"


def test_a_simulator_port_taken_between_check_and_bind_falls_back_to_a_free_port(monkeypatch):
    """Parallel runs (test workers, two terminals) can both see the port free; the loser must not fail."""
    from op_trading.runtime.actions import _start_sandbox
    from op_trading.services import system

    monkeypatch.setattr(system, "port_in_use", lambda port: False)
    started = []

    class Box:
        def __init__(self, port):
            self.port, self.url = port, f"http://127.0.0.1:{port or 40000}"

        @classmethod
        def from_settings(cls, settings, port):
            return cls(port)

        def start(self):
            if self.port:
                raise OSError(98, "Address already in use")
            started.append(self)
            return self

    checks = []
    box = _start_sandbox(Box, {"SIMULATOR_PORT": 8765, "SIMULATOR_SEED": 42}, checks)
    assert box.port == 0 and started == [box]
    assert [check.name for check in checks] == ["simulator port", "simulator"]
