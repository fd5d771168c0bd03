from django.db import migrations

# Policies created before passing outputs were sampled for review by default.
RATES = {"plan": 0.2, "describe": 0.1, "render": 0.2}


def sample(apps, schema_editor):
    StepPolicy = apps.get_model("generation", "StepPolicy")
    for step, rate in RATES.items():
        StepPolicy.objects.filter(step=step, review_sample_rate=0).update(review_sample_rate=rate)


class Migration(migrations.Migration):
    dependencies = [("generation", "0010_review_overlap_calibration_and_requests")]

    operations = [migrations.RunPython(sample, migrations.RunPython.noop)]
