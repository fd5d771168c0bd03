"""Accounts and credits over HTTP: what comes in and what goes out."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from config.fields import StrictCharField, StrictIntegerField
from generation.models import CreditEntry

MAX_GRANT = 1_000_000


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegisterSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        """Django's password validators (AUTH_PASSWORD_VALIDATORS), with the username and email
        so that a password like either is refused."""
        model = get_user_model()
        attrs["email"] = model.objects.normalize_email(attrs["email"])
        user = model(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token …` or `Bearer …`.")


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Credits you can spend.")
    held = serializers.IntegerField(help_text="Credits reserved for work in progress.")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    is_staff = serializers.BooleanField()
    groups = serializers.ListField(child=serializers.CharField())
    credits = BalanceSerializer()


class RegisteredSerializer(TokenSerializer):
    user = MeSerializer()


class CreditEntrySerializer(serializers.ModelSerializer):
    batch = serializers.UUIDField(source="batch_id", allow_null=True, read_only=True)
    created_by = serializers.CharField(
        source="created_by.username",
        allow_null=True,
        default=None,
        read_only=True,
        help_text="Who made the change; null for the system (work, sign-up).",
    )

    class Meta:
        model = CreditEntry
        fields = [
            "id",
            "kind",
            "amount",
            "balance_after",
            "held_after",
            "reason",
            "batch",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class GrantSerializer(serializers.Serializer):
    user = StrictIntegerField(min_value=1, help_text="The id of the user who gets the credits.")
    amount = StrictIntegerField(min_value=1, max_value=MAX_GRANT)
    reason = StrictCharField(max_length=300, help_text="Why; shown in the user's ledger.")

    def validate_user(self, value: int) -> object:
        user = get_user_model().objects.filter(pk=value).first()
        if user is None:
            raise serializers.ValidationError(f"no user has id {value}")
        return user
