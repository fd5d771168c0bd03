"""The API's JSON renderer: UTF-8 with Chinese as is, and never a crash on a lone surrogate.

Input is checked at the door (config.parsers), but data stored before that check (SQLite keeps a
lone surrogate in JSON) must not turn a list into a 500 for everyone: such a code point is
written as its \\uXXXX escape, which JSON parsers read back as the same string.
"""

import json

from rest_framework import renderers

from config.text import printable


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            text = json.dumps(
                data,
                cls=self.encoder_class,
                ensure_ascii=False,
                allow_nan=not self.strict,
                separators=(",", ":"),
            )
            # Inside JSON strings only, so an escape is the same string to the reader.
            return (
                printable(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
            )
