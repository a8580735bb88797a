"""The error a fake node answers with: an HTTP status, PVE's message and, for bad parameters, a dict of errors."""

from __future__ import annotations


class ApiError(Exception):
    """Raised by request handling; turned into PVE's error response (status line reason = first message line)."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def param_error(errors: dict[str, str]) -> ApiError:
    """PVE's answer to parameters that fail the schema (or a handler's own parameter check)."""
    return ApiError(400, "Parameter verification failed.\n", errors)
