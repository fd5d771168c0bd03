from django.db import migrations

CRITERIA = {
    "plan": [
        ("accuracy", "Accuracy", "1: pages contradict the outline; 5: mostly right, some wrong titles or items; 10: every page says what the outline says."),
        ("completeness", "Completeness", "1: most headings missing; 5: some sections or items dropped; 10: every heading and item has its place."),
        ("structure", "Structure", "1: no recognisable order; 5: cover and sections present but pages misplaced; 10: cover, contents, sections and pages in a clear order."),
    ],
    "describe": [
        ("clarity", "Clarity", "1: a designer could not act on it; 5: understandable with guessing; 10: precise about content, layout and visuals."),
        ("faithfulness", "Faithfulness", "1: invents or drops content; 5: minor drift from the plan; 10: exactly the plan's content."),
        ("layout_fitness", "Layout fitness", "1: the layout fits neither the content nor 16:9; 5: workable; 10: the layout a good designer would choose."),
    ],
    "render": [
        ("text_legibility", "Text legibility", "1: words wrong or unreadable; 5: readable with a few errors; 10: every word right, sharp and readable."),
        ("layout", "Layout", "1: cluttered or overflowing; 5: acceptable with crowding or odd spacing; 10: balanced, aligned, generous whitespace."),
        ("template_consistency", "Template consistency", "1: ignores the template; 5: palette or style partly kept; 10: unmistakably the template's look."),
        ("artifact_absence", "No artifacts", "1: garbled shapes, watermarks or borders; 5: small visible artifacts; 10: clean."),
        ("relevance", "Relevance", "1: visuals unrelated to the page; 5: generic; 10: every visual supports the content."),
    ],
}

GROUPS = {
    "evaluators": [
        ("review", "reviewitem", ["view"]),
        ("review", "criterion", ["view"]),
        ("review", "evaluation", ["view", "add"]),
    ],
    "content staff": [
        ("templates_app", "slidetemplate", ["view", "add", "change", "delete"]),
        ("templates_app", "templatereferenceimage", ["view", "add", "change", "delete"]),
        ("generation", "batch", ["view", "add", "change"]),
        ("generation", "page", ["view", "change"]),
        ("generation", "steprun", ["view"]),
    ],
}


def create(apps, schema_editor):
    Criterion = apps.get_model("review", "Criterion")
    for step, rows in CRITERIA.items():
        for order, (key, label, description) in enumerate(rows):
            Criterion.objects.get_or_create(
                step=step, key=key, active=True, defaults={"label": label, "description": description, "order": order}
            )
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in grants:
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
                )


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
        ("generation", "0009_poll_schedule"),
        ("templates_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
