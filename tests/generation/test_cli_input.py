"""`generate_deck` refuses an outline file PostgreSQL cannot store with a one-line reason."""

import io

import pytest
from django.core.management import CommandError, call_command

from generation.models import Batch
from tests.factories import EN_OUTLINE, SlideTemplateFactory

pytestmark = pytest.mark.django_db


def test_an_outline_file_with_a_nul_byte_exits_with_a_one_line_reason(tmp_path):
    SlideTemplateFactory(slug="plain")
    outline = tmp_path / "binary.md"
    outline.write_bytes(EN_OUTLINE.encode() + b"\x00\x01binary tail")

    with pytest.raises(CommandError) as info:
        call_command(
            "generate_deck",
            str(outline),
            "--template=plain",
            f"--out={tmp_path / 'deck.pptx'}",
            stdout=io.StringIO(),
        )

    message = str(info.value)
    assert message == f"outline file contains NUL bytes (is it a binary file?): {outline}"
    assert not Batch.objects.exists()
    assert not (tmp_path / "deck.pptx").exists()
