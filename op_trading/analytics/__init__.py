"""Options analytics: Black-Scholes/Black-76 prices, greeks and implied volatility (`black_scholes`, `iv_solver`,
`iv_conventions`), chain metrics, participant positioning, flows and alerts. Nothing is imported here, so importing a
submodule costs only what that submodule needs."""
