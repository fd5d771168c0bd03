"""Request bodies under /api/: UTF-8 JSON (RFC 8259) or, where a file is sent, multipart.

Checked at the door, before any view or service sees the data:
- the Content-Type must name the parser's media type itself (no `*/*`), and a JSON charset,
  if given, must be UTF-8 (anything else is a 415, not a silent re-decoding);
- JSON nested deeper than MAX_JSON_DEPTH is a parse error (the interpreter's recursion limit
  would otherwise turn 50,000 `[` into a 500);
- no string, key or value, may hold a NUL character or a lone surrogate (config.text): a 400
  naming the field, with the offending characters never echoed back.
"""

import json

from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

from config.text import bad_texts

MAX_JSON_DEPTH = 32  # our deepest request (options, scores, fonts) needs 2
UTF8 = ("utf-8", "utf8")


class StrictContentNegotiation(DefaultContentNegotiation):
    """A body whose Content-Type is a wildcard names no format: 415 instead of a guess. A 415
    says which media types the operation takes."""

    def select_parser(self, request, parsers):
        content_type = request.content_type or ""
        parser = None if "*" in content_type else super().select_parser(request, parsers)
        if parser is None:
            takes = " or ".join(parser.media_type for parser in parsers)
            raise exceptions.UnsupportedMediaType(
                content_type,
                detail=f'Unsupported media type "{content_type}" in request: this takes {takes}.',
            )
        return parser


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _refuse_bad_texts(data: object) -> None:
    for path, problem in bad_texts(data, max_depth=MAX_JSON_DEPTH):
        if not path and problem.startswith("nested"):
            raise exceptions.ParseError(f"JSON parse error - {problem}")
        field = path or api_settings.NON_FIELD_ERRORS_KEY
        raise exceptions.ValidationError({field: [problem]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _, params = parse_header_parameters(media_type or "")
        charset = params.get("charset", "utf-8").lower()
        if charset not in UTF8:
            raise exceptions.UnsupportedMediaType(
                media_type, detail=f"JSON must be UTF-8, not charset={charset}."
            )
        try:
            text = stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError("JSON parse error - the body is not UTF-8") from None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep"
            ) from None
        _refuse_bad_texts(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        fields = parsed.data.lists()
        _refuse_bad_texts(
            {key: values[0] if len(values) == 1 else values for key, values in fields}
        )
        return parsed
