"""S3 storage for real: a deck through the pipeline against an S3 API server (moto's, on a
loopback port), with the storage settings production builds from S3_* variables."""

import io
import zipfile
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client
from moto.server import ThreadedMotoServer
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.storage_settings import s3_storage
from generation.services.batches import batch_run
from generation.signing import signed_media_url
from tests.factories import UserFactory, make_batch

pytestmark = pytest.mark.django_db

BUCKET = "decks"
KEYS = {"region_name": "us-east-1", "access_key": "test-key", "secret_key": "test-secret"}
SHORT_OUTLINE = "# 短的演示\n\n### One\n- a\n- b\n\n### 第二页\n- c\n- d\n"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, with an empty private bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=KEYS["region_name"],
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint):
    """Default storage is the S3 bucket (Django resets its storages when STORAGES changes)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=BUCKET,
            endpoint_url=s3_endpoint,
            max_age=settings.SIGNED_URL_MAX_AGE_SECONDS,
            **KEYS,
        ),
    }
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    return boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=KEYS["region_name"],
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    ).Bucket(BUCKET)


def object_bytes(bucket, name: str) -> bytes:
    return bucket.Object(name).get()["Body"].read()


def test_a_deck_runs_with_its_files_in_the_bucket_and_presigned_links(settings, bucket):
    owner = UserFactory()
    batch = batch_run(batch=make_batch(owner=owner, outline=SHORT_OUTLINE))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")

    body = api.get(f"/api/v1/batches/{batch.pk}/").json()
    export = api.get(f"/api/v1/batches/{batch.pk}/export/", {"format": "zip"})

    assert batch.status == "completed"
    keys = {item.key for item in bucket.objects.all()}
    pages = list(batch.pages.order_by("index"))
    assert {page.image.name for page in pages} | {page.thumbnail.name for page in pages} <= keys
    for summary, page in zip(body["pages"], pages, strict=True):
        link = urlsplit(summary["image"])
        query = parse_qs(link.query)
        assert (
            f"{link.scheme}://{link.netloc}"
            == settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
        )
        assert query["X-Amz-Expires"] == [str(settings.SIGNED_URL_MAX_AGE_SECONDS)]
        assert "X-Amz-Signature" in query
        fetched = requests.get(summary["image"], timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == object_bytes(bucket, page.image.name)
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    assert len([name for name in archive.namelist() if name.endswith(".png")]) == len(pages)


def test_signed_reference_links_for_providers_resolve_from_the_bucket(bucket):
    batch = make_batch()
    reference = batch.template_snapshot["reference_images"][0]["path"]
    link = signed_media_url(reference)

    response = Client().get(urlsplit(link).path)

    assert reference in {item.key for item in bucket.objects.all()}
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == object_bytes(bucket, reference)
    assert Image.open(io.BytesIO(data)).size == (320, 180)
    assert default_storage.exists(reference)
