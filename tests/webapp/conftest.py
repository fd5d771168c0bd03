"""What the web app's tests share: a user, a client signed in as them, an active template,
pictures to upload."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.factories import SlideTemplateFactory, UserFactory


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def template():
    return SlideTemplateFactory(
        slug="warm",
        name="Warm",
        description="Warm editorial pages",
        palette=["#fbf7f0", "#1f3a5f", "#e07a24"],
    )


def picture(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
