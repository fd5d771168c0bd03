"""Accounts: sign up (with the sign-up credits) and the API token."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from generation.errors import InvalidInput
from generation.services.credits import credits_grant

logger = logging.getLogger("nanodeck.accounts")


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> tuple[AbstractBaseUser, Token]:
    """A new user with a token and SIGNUP_CREDITS. The username and the email address are
    unique, case-blind; `password` has passed Django's password validators (the caller's
    serializer runs them with the username and email)."""
    _one_at_a_time(f"register-username:{username.casefold()}", f"register-email:{email.casefold()}")
    users = get_user_model().objects
    if users.filter(username__iexact=username).exists():
        raise InvalidInput(_("username: that username is taken"), details={"username": username})
    if users.filter(email__iexact=email).exists():
        raise InvalidInput(
            _("email: an account with that email address exists"), details={"email": email}
        )
    try:
        with transaction.atomic():
            user = users.create_user(username=username, email=email, password=password)
    except IntegrityError:  # the same username, registered at the same moment
        raise InvalidInput(
            _("username: that username is taken"), details={"username": username}
        ) from None
    if settings.SIGNUP_CREDITS:
        credits_grant(
            user=user,
            amount=settings.SIGNUP_CREDITS,
            reason="sign-up credits",
            key=f"signup:user:{user.pk}",
            by=None,
        )
    logger.info("user_registered user=%s", user.pk)
    return user, Token.objects.create(user=user)


def _one_at_a_time(*names: str) -> None:
    """Registrations of one username or email address wait for each other until commit, so
    the case-blind checks above hold under concurrent sign-ups (the database's own unique
    constraint on usernames is case-sensitive, and emails have none). PostgreSQL: transaction
    advisory locks, always taken in the order given; SQLite's IMMEDIATE transactions already
    run one writer at a time."""
    if connection.vendor != "postgresql":
        return
    # pg_advisory_xact_lock is released when the transaction ends:
    # https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


def token_for(*, user: AbstractBaseUser) -> Token:
    """The user's API token, made on first use (one per user)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: AbstractBaseUser) -> None:
    """Log out of the API: the user's token stops working; the next log-in makes a new one."""
    Token.objects.filter(user=user).delete()
