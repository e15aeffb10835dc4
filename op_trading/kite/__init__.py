"""Kite Connect: client factory, rate limiter, retry policy, token store and login flows.

Nothing is imported here on purpose: `tokens` is read to draw every screen header and must stay light, while
`client`, `login` and `verify` pull in kiteconnect (and requests) only inside the functions that talk to Kite.
"""
