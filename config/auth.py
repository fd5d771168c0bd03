"""API authentication: DRF's token and session classes, hardened against keys no database row
can match (PostgreSQL refuses a NUL in a query parameter with an error, not an empty result)."""

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from config.text import text_problem

KEYWORDS = (b"token", b"bearer")


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token KEY` or `Authorization: Bearer KEY` (the same key, either word in
    any case); a key with a NUL or a lone surrogate is an invalid token (401) without a query.
    The checks of the header are DRF's own (TokenAuthentication.authenticate)."""

    def authenticate(self, request: Request) -> tuple | None:
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() not in KEYWORDS:
            return None
        if len(words) == 1:
            raise exceptions.AuthenticationFailed("Invalid token header. No credentials provided.")
        if len(words) > 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain spaces."
            )
        try:
            key = words[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain invalid characters."
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        if text_problem(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
