import importlib

from django.db import migrations, models

# SQLite adds this column by copying the table into a new one, which drops the table's
# triggers: the progress counters' triggers on pages (0014) are made again afterwards.
COUNTERS = importlib.import_module("generation.migrations.0014_progress_counters")


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0017_batch_awaiting_approval"),
    ]

    operations = [
        migrations.AddField(
            model_name="page",
            name="regeneration",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What the last regeneration asked of the next render round (mode, "
                "instruction, edits, the image to refine, who asked); cleared once that round "
                "is done.",
            ),
        ),
        migrations.AlterField(
            model_name="steprun",
            name="requested_by",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="Who asked for this re-run with an instruction or edits (e.g. evaluation:42).",
                max_length=60,
            ),
        ),
        migrations.RunPython(COUNTERS.remake_sqlite_triggers("page"), migrations.RunPython.noop),
    ]
