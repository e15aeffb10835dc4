"""The simulator check's quote table: Change is last against the previous close (Kite sends net_change 0)."""

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
