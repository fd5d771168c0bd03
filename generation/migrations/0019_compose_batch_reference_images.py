import importlib

from django.db import migrations, models

# SQLite adds a JSON column (it has a check) by copying the table, which drops its triggers:
# the progress counters' trigger on batches is made again afterwards, as 0017 does.
COUNTERS = importlib.import_module("generation.migrations.0014_progress_counters")


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0018_steer_page_regeneration"),
    ]

    operations = [
        migrations.AddField(
            model_name="batch",
            name="reference_images",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The batch's own images (logo, photos) as uploaded with it: "
                '[{"role": "logo" | "photo", "path", "sha256"}], sent after the template\'s.',
            ),
        ),
        migrations.RunPython(COUNTERS.remake_sqlite_triggers("batch"), migrations.RunPython.noop),
    ]
