"""The database schema the migrations make matches the models, with nothing dead in it."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_the_migrations_make_exactly_what_the_models_say():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_a_batch_keeps_no_credit_columns_and_still_gets_its_counters():
    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, "generation_batch")
        ]

    assert "status" in columns
    assert not [name for name in columns if name.startswith("credits")]
    assert make_batch().counters.pending == 0  # the insert trigger survived the dropped columns
