"""API authentication: DRF's token and session classes, hardened against keys no database row
can match (PostgreSQL refuses a NUL in a query parameter with an error, not an empty result)."""

from rest_framework import authentication, exceptions

from config.text import text_problem


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token KEY`; a key with a NUL or a lone surrogate is an invalid token (401)
    without a query."""

    def authenticate_credentials(self, key: str):
        if text_problem(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
