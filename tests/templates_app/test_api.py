"""The template API: active templates for every signed-in user, changes for staff only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from templates_app.models import SlideTemplate
from tests.factories import SlideTemplateFactory, UserFactory
from tests.media import signed_name

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/templates/"


def client_for(*, is_staff: bool = False) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=is_staff))
    return client


def png(name: str = "reference.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), "#1f3a5f").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_users_see_the_active_templates_in_order():
    SlideTemplateFactory(slug="tech", name="Tech", order=2)
    SlideTemplateFactory(slug="business", name="Business", order=1)
    SlideTemplateFactory(slug="retired", is_active=False)

    body = client_for().get(TEMPLATES).json()

    assert body["count"] == 2
    assert [item["slug"] for item in body["results"]] == ["business", "tech"]


def test_a_template_shows_its_palette_style_and_reference_image():
    template = SlideTemplateFactory(
        slug="education",
        description="Warm and friendly",
        style="hand-drawn",
        recommended_for=["school", "课堂"],
    )

    body = client_for().get(f"{TEMPLATES}education/").json()

    assert body["palette"] == template.palette
    assert body["style"] == "hand-drawn"
    assert body["description"] == "Warm and friendly"
    assert body["recommended_for"] == ["school", "课堂"]
    assert signed_name(body["reference_image"]) == template.reference_image.name


def test_an_inactive_template_is_not_found_for_users_but_shown_to_staff():
    SlideTemplateFactory(slug="retired", is_active=False)

    hidden = client_for().get(f"{TEMPLATES}retired/")
    shown = client_for(is_staff=True).get(f"{TEMPLATES}retired/")

    assert hidden.status_code == 404
    assert error_of(hidden)["code"] == "not_found"
    assert shown.json()["is_active"] is False


def test_anonymous_visitors_are_asked_to_authenticate():
    response = APIClient().get(TEMPLATES)

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", TEMPLATES), ("patch", f"{TEMPLATES}business/"), ("delete", f"{TEMPLATES}business/")],
)
def test_users_cannot_change_templates(method, path):
    SlideTemplateFactory(slug="business", name="Business")

    response = getattr(client_for(), method)(path, {"name": "Mine now"})

    assert response.status_code == 403
    assert error_of(response) == {
        "code": "permission_denied",
        "message": "Only staff can change templates.",
        "details": {},
    }
    assert SlideTemplate.objects.get().name == "Business"


def test_staff_create_a_template_with_a_reference_image():
    response = client_for(is_staff=True).post(
        TEMPLATES,
        {
            "slug": "night",
            "name": "Night",
            "palette": '["#0b1020", "#e0e6f0", "#f5b942"]',
            "recommended_for": '["keynote"]',
            "reference_image": png(),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    template = SlideTemplate.objects.get(slug="night")
    assert template.palette == ["#0b1020", "#e0e6f0", "#f5b942"]
    assert template.recommended_for == ["keynote"]
    assert signed_name(response.json()["reference_image"]).startswith("templates/")


def test_a_bad_palette_is_refused_naming_the_palette():
    SlideTemplateFactory(slug="business")

    response = client_for(is_staff=True).patch(f"{TEMPLATES}business/", {"palette": ["red"]})

    assert response.status_code == 400
    error = error_of(response)
    assert list(error["details"]) == ["palette"]
    assert error["message"] == "palette: Palette must be a list of 2 to 8 colours like #1f3a5f."


def test_staff_update_and_delete_templates():
    SlideTemplateFactory(slug="business", name="Business")
    staff = client_for(is_staff=True)

    updated = staff.patch(f"{TEMPLATES}business/", {"name": "商务", "is_active": False})
    deleted = staff.delete(f"{TEMPLATES}business/")

    assert updated.json()["name"] == "商务"
    assert updated.json()["is_active"] is False
    assert deleted.status_code == 204
    assert not SlideTemplate.objects.exists()
