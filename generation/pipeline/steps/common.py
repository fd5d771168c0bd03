"""What the steps share: the selected output of an earlier step, the batch's theme, how
strongly a retry adjusts, and a provider call under the provider's limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

from django.core.files.storage import default_storage
from PIL import Image

from generation.images import open_rgb
from generation.models import StepRun
from generation.pipeline.engine import Assessment, StepContext
from generation.providers.base import Provider
from generation.providers.gate import call_provider
from generation.slides import Theme

T = TypeVar("T")


def selected_run(ctx: StepContext, step: str, *, batch_level: bool = False) -> StepRun:
    """The selected attempt of an earlier step, of the page or (batch_level) of the batch."""
    scope = {"page__isnull": True} if batch_level else {"page": ctx.page}
    return StepRun.objects.get(batch=ctx.batch, step=step, selected=True, **scope)


def load_theme(snapshot: dict, own_images: list[dict] | None = None) -> Theme:
    """The theme of a batch's template snapshot (palette, style, fonts, first reference
    image), with the batch's own images (`Batch.reference_images`): its logo and first photo."""
    refs = snapshot.get("reference_images") or [{}]
    fonts = snapshot.get("fonts") or {}
    path = refs[0].get("path")
    theme = _theme(
        tuple(snapshot.get("palette", [])),
        snapshot.get("style", ""),
        _Stored(key=refs[0].get("sha256") or path, path=path) if path else None,
        (str(fonts.get("title") or ""), str(fonts.get("body") or "")),
    )
    own = {}
    for image in own_images or []:
        own.setdefault(image["role"], image)
    if not own:
        return theme
    logo, photo = own.get("logo"), own.get("photo")
    return replace(
        theme,
        logo=_own_image(logo["path"], logo["sha256"]) if logo else None,
        photo=_own_image(photo["path"], photo["sha256"]) if photo else None,
    )


@lru_cache(maxsize=32)
def _own_image(path: str, sha256: str) -> Image.Image:
    """A batch's logo or photo, decoded once per process (RGBA: a logo keeps its
    transparency)."""
    with default_storage.open(path, "rb") as handle, Image.open(handle) as image:
        return image.convert("RGBA")


@dataclass(frozen=True)
class _Stored:
    """A stored image known by its content's digest (`key`; its path where it has none): the
    copies of one template image in every batch's folder are one image to the caches."""

    key: str
    path: str = field(compare=False)


@lru_cache(maxsize=32)
def _theme(
    palette: tuple[str, ...],
    style: str,
    reference: _Stored | None,
    fonts: tuple[str, str],
) -> Theme:
    """Snapshot images never change and are known by their digest, so each process decodes a
    template's reference image once, instead of once per page or once per batch (every batch
    holds a copy under its own path: each worker's first page of every deck decoded it)."""
    image = open_rgb(reference.path) if reference else None
    return Theme.from_palette(
        list(palette),
        reference_image=image,
        style=style,
        fonts={"title": fonts[0], "body": fonts[1]},
    )


def severity(assessment: Assessment) -> float:
    """Large adjustments below 5/10, small ones below 7/10 (the brief's adaptive retry)."""
    return 2.0 if assessment.score < 5 else 1.0


def provider_call(
    ctx: StepContext, provider: Provider, call: Callable[[], T], *, text: bool = False
) -> T:
    """A provider call under the provider's limits; the local planner's text calls are not gated."""
    gated = not (text and provider.name == "local")
    return call_provider(
        provider.name, call, holder=ctx.worker, checkpoint=ctx.checkpoint, gated=gated
    )
