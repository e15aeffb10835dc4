"""Kite's error envelope: every error carries `error_type`, which the official client maps to its exception class."""

from __future__ import annotations

INVALID_SESSION = "Incorrect `api_key` or `access_token`."


class ApiError(Exception):
    """Raised by handlers; the server answers {"status": "error", "message", "data": null, "error_type"}."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message

    def body(self) -> dict:
        return {"status": "error", "message": self.message, "data": None, "error_type": self.error_type}


def input_error(message: str) -> ApiError:
    return ApiError(400, "InputException", message)


def token_error(message: str = INVALID_SESSION) -> ApiError:
    return ApiError(403, "TokenException", message)
