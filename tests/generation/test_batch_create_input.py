"""batch_create checks everything before it copies the template's images into the batch's
folder, and removes the copies if the database still refuses the batch."""

import pytest
from django.contrib.auth.models import User

from generation.errors import InvalidInput
from generation.models import Batch
from generation.services.batches import batch_create
from tests.factories import EN_OUTLINE, SlideTemplateFactory

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_refused_option_copies_no_image(settings):
    template = SlideTemplateFactory()
    before = stored_files(settings)

    with pytest.raises(InvalidInput):
        batch_create(template=template, outline=EN_OUTLINE, options={"budget_usd": float("inf")})

    assert stored_files(settings) == before


def test_a_batch_the_database_refuses_takes_its_copied_images_away(settings):
    template = SlideTemplateFactory()
    before = stored_files(settings)

    with pytest.raises(ValueError, match="unsaved related object"):
        batch_create(owner=User(username="never-saved"), template=template, outline=EN_OUTLINE)

    assert stored_files(settings) == before
    assert not Batch.objects.exists()
