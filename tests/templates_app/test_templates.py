import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from PIL import Image

from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates
from tests.factories import SlideTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("palette", "message"),
    [
        (["#ffffff"], "2 to 8 colours"),
        ("#ffffff,#000000", "2 to 8 colours"),
        (["#ffffff", "blue"], "Not a #rrggbb colour: blue"),
        (["#ffffff", "#12345"], "Not a #rrggbb colour: #12345"),
    ],
)
def test_a_bad_palette_is_refused_with_the_colour_named(palette, message):
    template = SlideTemplateFactory.build(palette=palette)
    with pytest.raises(ValidationError, match=message):
        template.full_clean()


def test_starter_templates_are_created_once_with_real_reference_images():
    created = load_starter_templates()
    again = load_starter_templates()

    assert created == [
        "business",
        "tech",
        "education",
        "minimal",
        "nature",
        "elegant",
        "academic",
        "creative",
    ]
    assert again == []
    for template in SlideTemplate.objects.all():
        image = Image.open(template.reference_image)
        assert image.size == (1536, 864)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) >= 3  # drawn, not flat
        template.full_clean()


def test_the_loader_never_overwrites_a_template_staff_edited():
    load_starter_templates()
    SlideTemplate.objects.filter(slug="tech").update(name="Our tech look")

    call_command("load_starter_templates", verbosity=0)

    assert SlideTemplate.objects.get(slug="tech").name == "Our tech look"


def test_the_admin_lists_templates_with_previews_and_swatches(admin_client):
    SlideTemplateFactory(name="Ocean", palette=["#ffffff", "#0077b6"])

    response = admin_client.get("/admin/templates_app/slidetemplate/?q=ocean")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ocean" in html
    assert '<rect width="1" height="1" fill="#0077b6"/>' in html  # the swatch
    assert '<img class="nd-thumb nd-medium" src="/media/signed/' in html


def test_the_admin_refuses_a_bad_palette_with_a_message(admin_client):
    template = SlideTemplateFactory()

    response = admin_client.post(
        f"/admin/templates_app/slidetemplate/{template.pk}/change/",
        {
            "name": template.name,
            "slug": template.slug,
            "palette": '["#ffffff", "#fff"]',
            "fonts": "{}",
            "recommended_for": "[]",
            "order": 0,
            "extra_images-TOTAL_FORMS": 0,
            "extra_images-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "Not a #rrggbb colour: #fff" in response.content.decode()
    template.refresh_from_db()
    assert template.palette == SlideTemplateFactory.palette
