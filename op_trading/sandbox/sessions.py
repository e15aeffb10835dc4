"""Credentials and sessions: the app's api_key/api_secret, request tokens and access tokens (domain.md §1.4).

- api_key (16) and api_secret (32) are lowercase hex derived from the seed, so `.env` stays valid across restarts.
- A request token is single use and dies after `REQUEST_TOKEN_TTL` seconds.
- `POST /session/token` checks checksum = sha256(api_key + request_token + api_secret) before using the token.
- An access token dies at the next 06:00 IST after it was issued (real time, as Kite's do), when invalidated, when
  `expire_all` is called, or `token_ttl` seconds after issue when that fault is set.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from op_trading.market import calendar
from op_trading.sandbox.errors import input_error, token_error

REQUEST_TOKEN_TTL = 300.0
DEFAULT_USER_ID = "AB1234"
_ALPHANUMERIC = string.ascii_letters + string.digits


def derive_credentials(seed: int) -> tuple[str, str]:
    digest = hashlib.sha256(f"op-trading-sandbox:{seed}".encode()).hexdigest()
    return digest[:16], digest[16:48]


def checksum(api_key: str, token: str, api_secret: str) -> str:
    return hashlib.sha256((api_key + token + api_secret).encode("utf-8")).hexdigest()


def _token(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def next_six_am(moment: datetime) -> datetime:
    """Kite tokens die at 06:00 IST the next morning (the same morning when issued before 06:00): the token store's
    rule, so the simulator and the app can never disagree about it."""
    from op_trading.kite.tokens import expiry_for

    return expiry_for(calendar.to_ist(moment))


@dataclass
class Session:
    user_id: str
    access_token: str
    public_token: str
    issued_at: float  # time.time()
    login_time: datetime
    expires_at: datetime
    revoked: bool = field(default=False)


class SessionStore:
    def __init__(self, seed: int, wall_clock=time.time, request_token_ttl: float = REQUEST_TOKEN_TTL) -> None:
        self.api_key, self.api_secret = derive_credentials(seed)
        self.request_token_ttl = request_token_ttl
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._request_tokens: dict[str, tuple[str, float]] = {}  # token -> (user_id, issued at)
        self._sessions: dict[str, Session] = {}

    def create_request_token(self, user_id: str = DEFAULT_USER_ID) -> str:
        token = _token()
        with self._lock:
            self._request_tokens[token] = (user_id, self._wall())
        return token

    def exchange(self, api_key: str, request_token: str, given_checksum: str) -> Session:
        """The session for a request token; the token is spent only when the checksum is right."""
        if not api_key or len(api_key) < 6:
            raise input_error("`api_key` should be minimum 6 characters in length.")
        if not request_token:
            raise input_error("`request_token` should be minimum 6 characters in length.")
        if not given_checksum:
            raise input_error("`checksum` should be minimum 6 characters in length.")
        if api_key != self.api_key:
            raise input_error("Invalid `api_key`.")
        if not secrets.compare_digest(given_checksum, checksum(api_key, request_token, self.api_secret)):
            raise token_error("Invalid `checksum`.")
        with self._lock:
            entry = self._request_tokens.pop(request_token, None)
        if entry is None or self._wall() - entry[1] > self.request_token_ttl:
            raise token_error("Token is invalid or has expired.")
        return self.issue(entry[0])

    def issue(self, user_id: str = DEFAULT_USER_ID) -> Session:
        now = self._wall()
        login_time = datetime.fromtimestamp(now, calendar.IST)
        session = Session(user_id, _token(), _token(), now, login_time, next_six_am(login_time))
        with self._lock:
            self._sessions[session.access_token] = session
        return session

    def validate(self, api_key: str, access_token: str, token_ttl: float | None = None) -> Session:
        with self._lock:
            session = self._sessions.get(access_token)
        if api_key != self.api_key or session is None or session.revoked:
            raise token_error()
        now = self._wall()
        if datetime.fromtimestamp(now, calendar.IST) >= session.expires_at:
            raise token_error()
        if token_ttl is not None and now - session.issued_at >= token_ttl:
            raise token_error()
        return session

    def invalidate(self, access_token: str) -> bool:
        with self._lock:
            session = self._sessions.get(access_token)
            if session is not None:
                session.revoked = True
        return session is not None

    def expire_all(self) -> int:
        with self._lock:
            for session in self._sessions.values():
                session.revoked = True
            return len(self._sessions)

    def session_payload(self, session: Session) -> dict:
        """The data of a successful POST /session/token, field for field as Kite's."""
        return {**profile_payload(session.user_id), "api_key": self.api_key,
                "access_token": session.access_token, "public_token": session.public_token,
                "enctoken": _token(64), "refresh_token": "", "silo": "",
                "login_time": session.login_time.strftime("%Y-%m-%d %H:%M:%S")}


def profile_payload(user_id: str) -> dict:
    return {
        "user_id": user_id, "user_type": "individual", "email": f"{user_id.lower()}@sandbox.invalid",
        "user_name": "Sandbox Trader (mock data)", "user_shortname": "Sandbox", "broker": "ZERODHA",
        "exchanges": ["NSE", "NFO", "BFO", "CDS", "BSE", "MCX", "BCD", "MF"],
        "products": ["CNC", "NRML", "MIS", "BO", "CO"], "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "avatar_url": None, "meta": {"demat_consent": "physical"},
    }
