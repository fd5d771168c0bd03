"""Serializer fields that take what the schema says and nothing else.

DRF's fields are lenient: a CharField turns 12 into "12", an IntegerField takes "12", a
BooleanField takes 1, "yes" or "on", and a BooleanField missing from a multipart form reads as
False (an HTML checkbox) rather than "not sent". The API documents types, so it keeps to them;
multipart forms, which carry text only, may spell a boolean "true" or "false".
"""

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean is "Not a valid string.", not quietly converted."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON number with no fraction: "12" or true is "A valid integer is required."; a
    multipart form spells it in ASCII digits."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, str) and html.is_html_input(self.root.initial_data):
            if not (data.isascii() and data.isdigit()):
                self.fail("invalid")
        elif isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictJSONField(serializers.JSONField):
    """DRF's JSONField; JSON text (as multipart forms send it) nested past the interpreter's
    recursion limit is "Value must be valid JSON.", not a RecursionError and a 500."""

    def to_internal_value(self, data: object) -> object:
        try:
            return super().to_internal_value(data)
        except RecursionError:
            message = self.error_messages["invalid"]
            raise serializers.ValidationError(message, code="invalid") from None


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON; "true" or "false" in a multipart form. A field a form leaves out
    is not sent (its default applies), rather than False."""

    default_empty_html = empty

    def to_internal_value(self, data: object) -> bool:
        spelled = data.lower() if isinstance(data, str) else None
        if spelled in ("true", "false") and html.is_html_input(self.root.initial_data):
            data = spelled == "true"
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
