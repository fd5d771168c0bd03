from django.db import migrations

# Evaluators score blind: in the admin they may list review items and read the criteria, but
# not read (or add) evaluations, which would show them others' scores before their own.
REVOKED = ["view_evaluation", "add_evaluation"]


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="evaluators").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="review", codename__in=REVOKED)
        )


class Migration(migrations.Migration):
    dependencies = [("review", "0006_step_threshold_proxy")]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
