"""Where media files live: local files under MEDIA_ROOT, served only through signed links, unless
S3_BUCKET is set (any S3-compatible service, presigned links); how long a link lasts; and the
origins the media links point to (the Content-Security-Policy's images)."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str

# Every media link is signed and expires (README "Media links"): presigned by S3, or this
# server's /media/signed/<token>/ for local files. Nothing under MEDIA_URL is served.
SIGNED_URL_MAX_AGE_SECONDS = env_int("SIGNED_URL_MAX_AGE_SECONDS", 3600, minimum=60)
for _removed in ("S3_CUSTOM_DOMAIN", "S3_SIGNED_URLS"):
    if env_str(_removed):
        raise ImproperlyConfigured(f"{_removed} is gone: media links are always presigned")


def s3_storage(*, bucket: str, endpoint_url: str, max_age: int, **credentials: str) -> dict:
    """The S3 storage (django-storages): private objects, links presigned for `max_age`
    seconds; `credentials` are region_name, access_key, secret_key (empty: boto3's own)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            **{name: value or None for name, value in credentials.items()},
            "querystring_auth": True,
            "querystring_expire": max_age,
            "signature_version": "s3v4",  # presigned links with X-Amz-Expires, any region
            "file_overwrite": False,
            # S3-compatible services all understand path-style addresses (bucket in the path).
            "addressing_style": "path" if endpoint_url else None,
        },
    }


def media_origins(*, bucket: str, endpoint_url: str) -> list[str]:
    """The origins of media links other than this server: the S3 endpoint's, or AWS's."""
    if not bucket:
        return []
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    return ["https://*.amazonaws.com"]


S3_BUCKET = env_str("S3_BUCKET")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
if S3_BUCKET:
    _default_storage = s3_storage(
        bucket=S3_BUCKET,
        endpoint_url=S3_ENDPOINT_URL,
        max_age=SIGNED_URL_MAX_AGE_SECONDS,
        region_name=env_str("S3_REGION"),
        access_key=env_str("S3_ACCESS_KEY_ID"),
        secret_key=env_str("S3_SECRET_ACCESS_KEY"),
    )
else:
    _default_storage = {"BACKEND": "generation.signing.SignedFileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
