import importlib

from django.db import migrations, models

# SQLite changes a column by copying the table into a new one, which drops the table's
# triggers: the progress counters' trigger on batches (0014) is made again afterwards.
COUNTERS = importlib.import_module("generation.migrations.0014_progress_counters")


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0016_batchapi_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="batch",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("planning", "Planning"),
                    ("awaiting_approval", "Awaiting Approval"),
                    ("running", "Running"),
                    ("completed", "Completed"),
                    ("partial", "Partial"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="pending",
                max_length=20,
            ),
        ),
        migrations.RunPython(COUNTERS.remake_sqlite_triggers("batch"), migrations.RunPython.noop),
    ]
