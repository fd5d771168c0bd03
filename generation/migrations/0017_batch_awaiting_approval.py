import importlib

from django.db import migrations, models

# SQLite changes a column by copying the table into a new one, which drops the table's
# triggers: the progress counters' trigger on batches (0014) is made again afterwards.
COUNTERS = importlib.import_module("generation.migrations.0014_progress_counters")


def batch_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters the column in place, its trigger stays
    schema_editor.execute("DROP TRIGGER IF EXISTS generation_batch_counters")
    for statement in COUNTERS.sqlite_sql():
        if " ON generation_batch " in statement:
            schema_editor.execute(statement)


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
        migrations.RunPython(batch_trigger, migrations.RunPython.noop),
    ]
