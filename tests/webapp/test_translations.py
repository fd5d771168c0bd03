"""The web app's Chinese: every string of the catalogue translated, the committed .mo the
compiled .po (a fresh machine needs no gettext tools)."""

import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
ENTRY = re.compile(r'^(?:msgctxt "(.+)"\n)?msgid "(.+)"\nmsgstr "(.*)"$', re.MULTILINE)


def entries() -> dict[tuple[str, str], str]:
    """(msgctxt, msgid) → msgstr of the .po (written with --no-wrap: one line each)."""
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    unescape = {r"\"": '"', r"\\": "\\"}
    return {
        (context, re.sub(r"\\[\"\\]", lambda m: unescape[m.group(0)], msgid)): msgstr
        for context, msgid, msgstr in ENTRY.findall(text)
    }


def test_every_string_has_a_chinese_translation():
    catalogue = entries()
    assert len(catalogue) > 100
    assert [msgid for (_, msgid), msgstr in catalogue.items() if not msgstr] == []
    assert "#, fuzzy" not in (CATALOGUE / "django.po").read_text(encoding="utf-8")


def test_the_committed_mo_is_the_compiled_po():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for (context, msgid), msgstr in entries().items():
        found = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        assert found == msgstr.replace(r"\"", '"'), msgid
