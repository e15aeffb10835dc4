"""Errors a user may see. Each message is one line that says what happened and what to do; never a traceback."""

from __future__ import annotations


class KiteError(Exception):
    """Base of the errors this package raises for people to read."""


class KiteSetupError(KiteError):
    """Configuration is missing or wrong (api_key, api_secret, redirect URL)."""


class AuthRequired(KiteError):
    """No usable access token: missing, expired, rejected by Kite or stored for another api_key."""


class LoginError(KiteError):
    """The login flow could not produce a request token or an access token."""


class LoginTimeout(LoginError):
    """No redirect arrived in time; the caller offers to paste the redirect URL instead."""


class PortBusy(LoginError):
    """The redirect port on 127.0.0.1 is taken by another program."""


class InvalidToken(KiteError):
    """Kite rejected an access token (or its format is wrong); nothing was saved."""
