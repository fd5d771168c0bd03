"""Template writes refuse text PostgreSQL or the JSON renderer cannot take (NUL bytes, lone
surrogates), take multipart as documented, and a missing `is_active` means the model default."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from templates_app.models import SlideTemplate
from tests.factories import SlideTemplateFactory, UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/templates/"


@pytest.fixture
def staff() -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(UserFactory(is_staff=True))
    return client


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), "#1f3a5f").save(buffer, "PNG")
    return SimpleUploadedFile("reference.png", buffer.getvalue(), content_type="image/png")


def new_template(**fields) -> dict:
    return {
        "slug": "night",
        "name": "Night",
        "palette": '["#0b1020", "#e0e6f0", "#f5b942"]',
        "reference_image": png(),
        **fields,
    }


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_a_multipart_template_without_is_active_is_active(staff):
    response = staff.post(TEMPLATES, new_template(), format="multipart")

    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is True
    assert SlideTemplate.objects.get(slug="night").is_active is True


@pytest.mark.parametrize(("sent", "stored"), [("false", False), ("true", True)])
def test_a_multipart_is_active_is_still_read_when_sent(staff, sent, stored):
    response = staff.post(TEMPLATES, new_template(is_active=sent), format="multipart")

    assert response.status_code == 201, response.content
    assert SlideTemplate.objects.get(slug="night").is_active is stored


def test_a_multipart_patch_without_is_active_leaves_it_alone(staff):
    SlideTemplateFactory(slug="business", is_active=False)

    response = staff.patch(f"{TEMPLATES}business/", {"name": "Renamed"}, format="multipart")

    assert response.status_code == 200
    assert SlideTemplate.objects.get(slug="business").is_active is False


def test_creating_a_template_takes_multipart_only(staff):
    body = {"slug": "night", "name": "Night", "palette": ["#0b1020", "#e0e6f0"]}

    error = error_of(staff.post(TEMPLATES, body, format="json"), 415)

    assert "multipart/form-data" in error["message"]
    assert not SlideTemplate.objects.exists()


def test_a_json_patch_still_works(staff):
    SlideTemplateFactory(slug="business")

    response = staff.patch(f"{TEMPLATES}business/", {"name": "商务"}, format="json")

    assert response.status_code == 200
    assert SlideTemplate.objects.get().name == "商务"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "ni\x00ght"}, "slug"),
        ({"name": "Ni\x00ght"}, "name"),
        ({"recommended_for": '["key\\u0000note"]'}, "recommended_for"),
        ({"fonts": '{"title": "Noto\\u0000"}'}, "fonts"),
    ],
)
def test_a_multipart_create_with_a_nul_byte_is_refused_naming_the_field(staff, fields, field):
    error = error_of(staff.post(TEMPLATES, new_template(**fields), format="multipart"), 400)

    assert error["message"].startswith(field)
    assert not SlideTemplate.objects.exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"fonts": {"title": "\\ud800"}}', "fonts.title"),
        ('{"fonts": {"title": "Noto\\u0000"}}', "fonts.title"),
        ('{"recommended_for": ["key\\u0000note"]}', "recommended_for.0"),
        ('{"slug": "busi\\u0000ness"}', "slug"),
    ],
)
def test_a_staff_patch_with_a_nul_or_a_lone_surrogate_is_refused_and_listing_still_works(
    staff, raw, field
):
    SlideTemplateFactory(slug="business", fonts={"title": "Noto Sans"})

    response = staff.generic(
        "PATCH", f"{TEMPLATES}business/", raw.encode(), content_type="application/json"
    )

    error = error_of(response, 400)
    assert error["message"].startswith(field)
    assert SlideTemplate.objects.get().fonts == {"title": "Noto Sans"}
    listing = APIClient()
    listing.force_authenticate(UserFactory())
    assert listing.get(TEMPLATES).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fonts", {"title": "Noto\x00"}),
        ("fonts", {"title": "\ud800"}),
        ("fonts", {"\x00": "Noto"}),
        ("recommended_for", ["key\x00note"]),
        ("recommended_for", ["\udfff"]),
    ],
)
def test_the_model_refuses_text_postgresql_or_json_cannot_hold(field, value):
    template = SlideTemplateFactory.build(**{field: value})

    with pytest.raises(ValidationError) as info:
        template.full_clean(exclude=["reference_image"])

    assert field in info.value.message_dict


@pytest.mark.parametrize("field", ["palette", "fonts", "recommended_for"])
def test_json_text_nested_50000_deep_in_a_form_is_refused(staff, field):
    error = error_of(
        staff.post(TEMPLATES, new_template(**{field: "[" * 50_000}), format="multipart"), 400
    )

    assert error["message"].startswith(f"{field}: ")
    assert not SlideTemplate.objects.exists()


def test_a_form_spells_the_order_in_digits(staff):
    response = staff.post(TEMPLATES, new_template(order="3"), format="multipart")

    assert response.status_code == 201, response.content
    assert SlideTemplate.objects.get().order == 3


@pytest.mark.parametrize("order", ["３", "-1", "1.5", "x"])
def test_a_form_order_that_is_not_ascii_digits_is_refused(staff, order):
    error = error_of(staff.post(TEMPLATES, new_template(order=order), format="multipart"), 400)

    assert error["message"].startswith("order: ")


@pytest.mark.parametrize(("field", "value"), [("order", "3"), ("is_active", "true"), ("name", 5)])
def test_json_keeps_to_json_types(staff, field, value):
    SlideTemplateFactory(slug="business")

    error = error_of(staff.patch(f"{TEMPLATES}business/", {field: value}, format="json"), 400)

    assert error["message"].startswith(f"{field}: ")
