"""Single images: a prompt (text mode) or the user's uploaded pictures and a prompt (image
mode) made into one image by the deck engine. An image is a batch of kind `image` with one
page of kind `image` that starts at the render step (there is no outline, plan or
description to make), so workers, provider limits, the circuit breaker, retries, the result
cache, costs and review sampling are the decks'.

What the image asks for lives on its page's plan: {"kind": "image", "mode", "prompt",
"aspect_ratio", "image_size", "language"}; the batch's options hold the provider, model,
quality and the pixel size derived from the aspect ratio and image size.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from generation.errors import InvalidInput
from generation.models import Batch, BatchStatus, Page, Step
from generation.options import BatchOptions
from generation.planning.outline import detect_language
from generation.providers.base import IMAGE_SIZES, default_image_size
from generation.providers.gemini_models import IMAGE_MODELS, TEN_RATIOS
from generation.providers.registry import image_provider
from generation.services.batch_images import MAX_PHOTOS, batch_images_store
from generation.services.credit_charges import image_price
from generation.services.credits import credits_check, payer_is_charged, reserve_for_batch
from generation.services.queue import pages_enqueue
from generation.services.uploads import uploads_as_files, uploads_mark_used, uploads_resolve
from generation.upload_models import Upload
from templates_app.models import SlideTemplate
from templates_app.services import template_snapshot

logger = logging.getLogger("nanodeck.pipeline")

MODES = ("text", "image")
ASPECT_RATIOS = TEN_RATIOS
DEFAULT_ASPECT_RATIO = "1:1"
MAX_PROMPT_CHARS = 2000
# Long side in pixels of a square image of each size; other ratios keep about the same area.
_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
STYLE_HINT = {
    "zh": "风格：{style}；配色：{palette}。",
    "en": "Style: {style}; palette: {palette}.",
}
EDIT_HINT = {
    "zh": "以参考图片为基础，按下面的要求绘制：",
    "en": "Use the reference image(s) as the starting point and follow this request:",
}


def image_dimensions(aspect_ratio: str, image_size: str) -> tuple[int, int]:
    """Width and height of an image of this ratio with about the area of a square of the
    size's side, both multiples of 16 (what image models draw in)."""
    across, down = (int(part) for part in aspect_ratio.split(":"))
    area = _SIDE[image_size] ** 2
    width = math.sqrt(area * across / down)
    return _multiple_of_16(width), _multiple_of_16(area / width)


def _multiple_of_16(value: float) -> int:
    return max(16, round(value / 16) * 16)


def _check_prompt(prompt: str) -> str:
    prompt = (prompt or "").strip()
    if not prompt:
        raise InvalidInput(_("the prompt is empty"), details={"prompt": "empty"})
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(
            _("the prompt has %(chars)s characters; the limit is %(limit)s")
            % {"chars": len(prompt), "limit": MAX_PROMPT_CHARS},
            details={"prompt": "too long"},
        )
    return prompt


def _check_shape(*, provider: str, model: str, aspect_ratio: str, image_size: str) -> None:
    """The ratio and size must be ones the chosen model draws: a Gemini model's own lists
    (gemini_models), otherwise the ten common ratios and 1K, 2K, 4K."""
    spec = IMAGE_MODELS.get(model) if provider == "gemini" else None
    ratios = spec.aspect_ratios if spec else ASPECT_RATIOS
    sizes = (spec.sizes or ("1K",)) if spec else IMAGE_SIZES
    sizes = tuple(size for size in sizes if size in _SIDE)
    if aspect_ratio not in ratios:
        raise InvalidInput(
            _("aspect_ratio '%(value)s' is not one %(model)s draws (choose one of %(choices)s)")
            % {"value": aspect_ratio, "model": model or provider, "choices": ", ".join(ratios)},
            details={"aspect_ratio": aspect_ratio},
        )
    if image_size not in sizes:
        raise InvalidInput(
            _("size '%(value)s' is not one %(model)s draws (choose one of %(choices)s)")
            % {"value": image_size, "model": model or provider, "choices": ", ".join(sizes)},
            details={"size": image_size},
        )


def _options(
    *, provider: str, model: str, quality: str, aspect_ratio: str, image_size: str
) -> BatchOptions:
    """The batch's options ("" for a default), sized for the ratio and size the chosen model
    draws."""
    parsed = BatchOptions.parse({"provider": provider, "model": model, "quality": quality})
    chosen = image_provider(parsed.provider, parsed.model or None)
    _check_shape(
        provider=parsed.provider,
        model=chosen.image_model,
        aspect_ratio=aspect_ratio,
        image_size=image_size,
    )
    width, height = image_dimensions(aspect_ratio, image_size)
    return replace(parsed, size=f"{width}x{height}")


def _image_prompt(prompt: str, mode: str, snapshot: dict, language: str) -> str:
    """What an image model is asked: the prompt (after an edit note in image mode) and the
    template's style as a hint."""
    lines = [EDIT_HINT[language], prompt] if mode == "image" else [prompt]
    style = snapshot.get("style") or snapshot.get("name", "")
    palette = ", ".join(snapshot.get("palette", []))
    if style or palette:
        lines.append(STYLE_HINT[language].format(style=style or "-", palette=palette or "-"))
    return "\n".join(lines)


def _references(*, owner: AbstractBaseUser, mode: str, ids: list) -> list[Upload]:
    if len(ids) > MAX_PHOTOS:
        raise InvalidInput(
            _("at most %(limit)s references; %(count)s came")
            % {"limit": MAX_PHOTOS, "count": len(ids)},
            details={"references": "too many"},
        )
    uploads = uploads_resolve(owner=owner, ids=ids)
    if mode == "image" and not uploads:
        raise InvalidInput(
            _("mode 'image' needs at least one reference upload (POST /api/v1/uploads/ first)"),
            details={"references": "empty"},
        )
    if mode == "text" and uploads:
        raise InvalidInput(
            _("references are the pictures of mode 'image'; a text-mode image has none"),
            details={"references": "not for mode text"},
        )
    return uploads


def _asked(
    *, prompt: str, mode: str, shape: tuple[str, str], quality: str, provider: str, model: str
) -> tuple[dict, BatchOptions]:
    """The image page's plan and the batch's options for what was asked, checked;
    `shape` is (aspect ratio, image size), "" for the defaults."""
    prompt = _check_prompt(prompt)
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", details={"mode": mode})
    plan = {
        "kind": "image",
        "mode": mode,
        "prompt": prompt,
        "aspect_ratio": shape[0] or DEFAULT_ASPECT_RATIO,
        "image_size": shape[1] or default_image_size(quality),
        "language": detect_language(prompt),
    }
    options = _options(
        provider=provider,
        model=model,
        quality=quality,
        aspect_ratio=plan["aspect_ratio"],
        image_size=plan["image_size"],
    )
    return plan, options


def _template(template: SlideTemplate | None) -> SlideTemplate | None:
    """The template asked for (it must be active), else the first active one, else none."""
    if template is None:
        return SlideTemplate.objects.active().first()
    if not template.is_active:
        raise InvalidInput(
            _("template '%(slug)s' is not active") % {"slug": template.slug},
            details={"template": template.slug},
        )
    return template


def _copy_images(batch: Batch, uploads: list[Upload]) -> None:
    """The template's snapshot and the uploads, copied into the batch's folder; when one
    cannot be copied, those already copied are removed."""
    folder = f"batches/{batch.pk}"
    if batch.template is not None:
        batch.template_snapshot = template_snapshot(template=batch.template, copy_to=folder)
    try:
        files = [("photo", file) for file in uploads_as_files(uploads)]
        batch.reference_images = batch_images_store(images=files, copy_to=folder)
    except Exception:
        _copies_delete(batch)  # the template's: none of the uploads was stored
        raise


@transaction.atomic
def image_create(
    *,
    owner: AbstractBaseUser,
    prompt: str,
    mode: str = "text",
    aspect_ratio: str = "",
    size: str = "",
    quality: str = "",
    provider: str = "",
    model: str = "",
    template: SlideTemplate | None = None,
    references: list | None = None,
    enqueue: bool = True,
    payer: AbstractBaseUser | None = None,
) -> Batch:
    """Create a single image and (with `enqueue`) queue its page for a worker. Everything is
    checked before a file is copied, so a refused request stores nothing. `payer` (the API's
    user) is charged the image's price by size (CREDIT_COSTS): InsufficientCredits (402)
    stores nothing; the capture or release follows the page (services/credit_charges.py)."""
    plan, options = _asked(
        prompt=prompt,
        mode=mode,
        shape=(aspect_ratio, size),
        quality=quality,
        provider=provider,
        model=model,
    )
    prompt = plan["prompt"]
    price = image_price(plan["image_size"]) if payer_is_charged(payer) else 0
    credits_check(user=payer, amount=price)
    uploads = _references(owner=owner, mode=mode, ids=list(references or []))
    batch = Batch(
        owner=owner,
        kind="image",
        template=_template(template),
        outline=prompt,
        title=prompt[:300],
        options=options.as_json(),
        status=BatchStatus.RUNNING,
        total_pages=1,
        started_at=timezone.now(),
    )
    _copy_images(batch, uploads)
    try:
        batch.save()
        reserve_for_batch(batch=batch, user=payer, amount=price, key=f"reserve:batch:{batch.pk}")
        page = _image_page_create(batch=batch, plan=plan)
        uploads_mark_used(uploads=uploads)
        if enqueue:
            pages_enqueue(page_ids=[page.pk])
    except Exception:
        _copies_delete(batch)
        raise
    logger.info("image_created batch=%s mode=%s provider=%s", batch.pk, mode, options.provider)
    return batch


def _image_page_create(*, batch: Batch, plan: dict) -> Page:
    """The single image's one page, its render step next."""
    prompt = plan["prompt"]
    return Page.objects.create(
        batch=batch,
        index=0,
        kind="image",
        title=prompt[:300],
        plan=plan,
        image_prompt=_image_prompt(prompt, plan["mode"], batch.template_snapshot, plan["language"]),
        resume_step=Step.RENDER,
        current_step=Step.RENDER,
    )


def _copies_delete(batch: Batch) -> None:
    """Delete the images copied into the batch's folder (the template's and the uploads)."""
    for image in [
        *batch.template_snapshot.get("reference_images", []),
        *batch.reference_images,
    ]:
        default_storage.delete(image["path"])
