from django.db import migrations

from generation.policies import POLICY_DEFAULTS


def create_policies(apps, schema_editor):
    StepPolicy = apps.get_model("generation", "StepPolicy")
    for step, defaults in POLICY_DEFAULTS.items():
        StepPolicy.objects.get_or_create(step=step, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("generation", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
