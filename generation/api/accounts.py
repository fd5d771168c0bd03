"""Accounts and credits over HTTP: sign up, log in and out, who am I, my ledger, staff grants."""

import uuid

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import RegisterThrottle, error_responses
from config.signin import signin_blocked, signin_failed, signin_succeeded
from generation.api.account_serializers import (
    CreditEntrySerializer,
    GrantSerializer,
    MeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from generation.api.idempotency import IDEMPOTENCY_PARAMETER, served_once
from generation.credit_selectors import credit_balance, credit_entries
from generation.models import CreditEntry
from generation.services.accounts import token_for, token_revoke, user_register
from generation.services.credits import credits_grant


def _me(user: object) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "is_staff": user.is_staff,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "credits": credit_balance(user=user),
    }


class RegisterView(APIView):
    """Sign up: a new user with a token and the sign-up credits (SIGNUP_CREDITS)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        request=RegisterSerializer,
        responses={201: RegisteredSerializer, **error_responses(400, 429)},
    )
    def post(self, request: Request) -> Response:
        incoming = RegisterSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user, token = user_register(**incoming.validated_data)
        body = RegisteredSerializer({"token": token.key, "user": _me(user)}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Log in: the user's API token for a username and password. After SIGNIN_MAX_FAILURES
    wrong passwords for a username from one address, its log-ins are refused (429) for
    SIGNIN_WINDOW_SECONDS, as on the sign-in pages."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
    )
    def post(self, request: Request) -> Response:
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        username, password = incoming.validated_data.values()
        if signin_blocked(request=request, username=username):
            raise exceptions.Throttled(wait=settings.SIGNIN_WINDOW_SECONDS)
        user = authenticate(request, username=username, password=password)
        if user is None:
            signin_failed(request=request, username=username)
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to log in with these credentials."]}
            )
        signin_succeeded(request=request, username=username)
        return Response(TokenSerializer({"token": token_for(user=user).key}).data)


class LogoutView(APIView):
    """Log out: the token stops working (and a session ends)."""

    @extend_schema(request=None, responses={204: None, **error_responses(401)})
    def post(self, request: Request) -> Response:
        token_revoke(user=request.user)
        if request.auth is None:  # signed in with the session cookie
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Who I am: user, groups and credit balance."""

    @extend_schema(responses={200: MeSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(_me(request.user)).data)


class MyCreditsView(ListAPIView):
    """My credit ledger, newest first: grants, reservations for work, captures as pages
    finish, releases of what failed, was cancelled or was not needed."""

    serializer_class = CreditEntrySerializer

    def get_queryset(self) -> QuerySet[CreditEntry]:
        return credit_entries(user=self.request.user)


class CreditGrantView(APIView):
    """Staff give a user credits, with a reason for the ledger."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        request=GrantSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: CreditEntrySerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        return served_once(request, scope="credit-grant", run=lambda: self._grant(request))

    def _grant(self, request: Request) -> Response:
        incoming = GrantSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        entry = credits_grant(
            **incoming.validated_data, key=f"grant:{uuid.uuid4().hex}", by=request.user
        )
        return Response(CreditEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
