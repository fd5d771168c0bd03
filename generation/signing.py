"""Signed, expiring links to stored files: the only way media leaves this server.

Local files have no public address: `SignedFileSystemStorage.url()` names the file inside a
signed token that expires after SIGNED_URL_MAX_AGE_SECONDS, and `signed_media` serves it.
Every `.url` of an ImageField (API serializers, admin previews and file widgets, the review
site) therefore hands out a signed link without knowing it. With S3 the storage's own
presigned URLs (querystring auth, same lifetime) play that part.
"""

import mimetypes

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_safe

SALT = "nanodeck.signed-media"


def signed_path(path: str) -> str:
    """This server's signed address of a stored file, relative (/media/signed/<token>/)."""
    token = signing.dumps({"path": path}, salt=SALT, compress=True)
    return reverse("signed-media", args=[token])


def signed_media_url(path: str) -> str:
    """The signed link a provider fetches (a template's reference image), on PUBLIC_BASE_URL."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + signed_path(path)


class SignedFileSystemStorage(FileSystemStorage):
    """Local files whose URLs are signed and expire; nothing is served under MEDIA_URL."""

    def url(self, name: str | None) -> str:
        if name is None:
            raise ValueError("this file has no name, so it has no address")
        return signed_path(name)


@require_safe
def signed_media(request: HttpRequest, token: str) -> FileResponse:
    try:
        path = signing.loads(token, salt=SALT, max_age=settings.SIGNED_URL_MAX_AGE_SECONDS)["path"]
    except (signing.BadSignature, KeyError, TypeError):
        raise Http404("this link is invalid or has expired") from None
    if not default_storage.exists(path):
        raise Http404("the file is gone")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response
