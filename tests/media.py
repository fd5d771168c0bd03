"""Reading the signed media links the server hands out."""

import re

from django.core import signing

from generation.signing import SALT

SIGNED = re.compile(r"^(?:https?://[^/]+)?/media/signed/([^/]+)/$")


def signed_name(url: str) -> str:
    """The stored file a signed link (absolute or relative) names; fails on any other URL."""
    match = SIGNED.match(url)
    assert match, f"not a signed media link: {url}"
    return signing.loads(match.group(1), salt=SALT)["path"]


def linked_names(html: str) -> set[str]:
    """The stored files that signed links in a page (src or href) name."""
    return {
        signed_name(url) for url in re.findall(r'(?:src|href)="([^"]*/media/signed/[^"]+)"', html)
    }
