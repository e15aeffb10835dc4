"""The indices the product follows, defined once.

`key` is the name used everywhere in the product (settings, records, CSV folders). `quote_key` is what Kite's quote
endpoints take. `underlying` is the `name` column of option rows in the instrument dump, matched exactly (never by
substring: NIFTY must not match BANKNIFTY or FINNIFTY). `label` is the index label used in stored records; the
original collectors used "NIFTY"/"BANKNIFTY"/"SENSEX", new indices use their Kite symbol name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Index:
    key: str
    quote_key: str  # exchange:tradingsymbol of the spot index
    instrument_token: int
    exchange_token: int
    underlying: str | None  # `name` of its option contracts; None for VIX (no options collected)
    options_exchange: str | None
    weekly_expiry: bool  # weeklies exist today (SEBI, Nov 2024: one benchmark index per exchange)
    expiry_weekday: int | None  # Monday = 0; NSE Tuesday, BSE Thursday since 1 Sep 2025
    label: str
    sector: str

    @property
    def exchange(self) -> str:
        return self.quote_key.split(":", 1)[0]

    @property
    def tradingsymbol(self) -> str:
        return self.quote_key.split(":", 1)[1]


NIFTY = Index("NIFTY", "NSE:NIFTY 50", 256265, 1001, "NIFTY", "NFO", True, 1, "NIFTY", "broad market")
SENSEX = Index("SENSEX", "BSE:SENSEX", 265, 1, "SENSEX", "BFO", True, 3, "SENSEX", "broad market")
BANKNIFTY = Index("BANKNIFTY", "NSE:NIFTY BANK", 260105, 1016, "BANKNIFTY", "NFO", False, 1, "BANKNIFTY", "banks")
FINNIFTY = Index("FINNIFTY", "NSE:NIFTY FIN SERVICE", 257801, 1007, "FINNIFTY", "NFO", False, 1,
                 "NIFTY FIN SERVICE", "financials")
MIDCPNIFTY = Index("MIDCPNIFTY", "NSE:NIFTY MID SELECT", 288009, 1125, "MIDCPNIFTY", "NFO", False, 1,
                   "NIFTY MID SELECT", "midcaps")
INDIA_VIX = Index("INDIAVIX", "NSE:INDIA VIX", 264969, 1035, None, None, False, None, "INDIA VIX", "volatility")

OPTION_INDICES: tuple[Index, ...] = (NIFTY, SENSEX, BANKNIFTY, FINNIFTY, MIDCPNIFTY)
ALL_INDICES: tuple[Index, ...] = OPTION_INDICES + (INDIA_VIX,)
BY_KEY = {index.key: index for index in ALL_INDICES}


def by_key(key: str) -> Index:
    try:
        return BY_KEY[key.upper()]
    except KeyError:
        raise KeyError(f"unknown index {key!r}; known: {', '.join(BY_KEY)}") from None


def selected(keys: list[str] | tuple[str, ...]) -> tuple[Index, ...]:
    """The option indices named in settings (INDICES), in the canonical order."""
    wanted = {key.upper() for key in keys}
    return tuple(index for index in OPTION_INDICES if index.key in wanted)
