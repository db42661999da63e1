"""Errors of the auth package. None of their messages ever holds a secret."""

from __future__ import annotations

from jobintel.errors import JobintelError


class AuthError(JobintelError):
    """Base of the authentication errors."""


class CredentialError(AuthError):
    """A token or user cannot be created, found or changed as asked (names the fix)."""


class LoginFailed(AuthError):
    """Wrong username or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("login failed: unknown user or wrong password")


class LoginThrottled(AuthError):
    """Too many failed logins for this user or from this address in the last minute."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed logins: wait {retry_after_s} s before trying again")
