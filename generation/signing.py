"""Expiring signed links to stored files, for providers that fetch reference images by URL.

Media paths are never exposed unsigned: a link names the file inside a signed token that
expires after SIGNED_URL_MAX_AGE_SECONDS.
"""

import mimetypes

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

SALT = "nanodeck.signed-media"


def signed_media_url(path: str) -> str:
    token = signing.dumps({"path": path}, salt=SALT, compress=True)
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("signed-media", args=[token])


def signed_media(request: HttpRequest, token: str) -> FileResponse:
    try:
        path = signing.loads(token, salt=SALT, max_age=settings.SIGNED_URL_MAX_AGE_SECONDS)["path"]
    except (signing.BadSignature, KeyError, TypeError):
        raise Http404("this link is invalid or has expired") from None
    if not default_storage.exists(path):
        raise Http404("the file is gone")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return FileResponse(default_storage.open(path, "rb"), content_type=content_type)
