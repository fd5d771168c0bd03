"""Text nanodeck refuses at the door: NUL characters (PostgreSQL cannot store them in text or
JSON) and lone surrogates (not Unicode: no UTF-8 encoder, JSON renderer or jsonb takes them).

`json.loads` turns a valid escaped pair ("\\ud83d\\ude00") into one character, so any code point
left in U+D800-U+DFFF after parsing is a lone surrogate.
"""

import re
from collections.abc import Iterator

NUL = "\x00"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str:
    """Why `value` cannot be stored or sent as UTF-8, or "" when it can."""
    if NUL in value:
        return "contains a NUL character (\\u0000), which is not allowed"
    if _LONE_SURROGATE.search(value):
        return "contains a lone surrogate (U+D800 to U+DFFF): not valid Unicode"
    return ""


def printable(value: str) -> str:
    """`value` with NUL and lone surrogates written as \\uXXXX escapes, safe to echo."""
    return _BAD.sub(lambda match: f"\\u{ord(match.group()):04x}", value)


def bad_texts(data: object, *, max_depth: int) -> Iterator[tuple[str, str]]:
    """(dotted path, problem) for every string (key or value) in parsed JSON that `text_problem`
    refuses; a path deeper than `max_depth` yields ("", "nested too deeply"). Iterative, so data
    nested as deeply as the parser allows cannot exhaust the stack here."""
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                yield path, problem
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= max_depth:
            yield "", f"nested more than {max_depth} levels deep"
            return
        items = value.items() if isinstance(value, dict) else enumerate(value)
        children = []
        for key, child in items:
            if isinstance(key, str) and text_problem(key):
                yield path, f"has a key that {text_problem(key)}"
                continue
            children.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        stack.extend(reversed(children))
