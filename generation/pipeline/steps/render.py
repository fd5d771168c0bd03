"""The render step: a slide image from the page's prompt and plan, judged by the quality
checks (size, contrast, margins, font sizes, OCR); retries adjust the layout and text."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from django.conf import settings
from django.core.files.storage import default_storage

from generation.images import PNG_SIGNATURE, decode_rgb
from generation.models import StepRun
from generation.pipeline.engine import Assessment, StepContext, StepOutput, digest
from generation.pipeline.steps.common import provider_call, severity
from generation.pipeline.steps.render_request import (
    refined_reference_urls,
    refined_references,
    requested_prompt,
)
from generation.providers.base import (
    ImageProvider,
    ImageRequest,
    ImageResult,
    default_image_size,
    next_image_size,
)
from generation.providers.hedge import Hedge, hedged_call
from generation.providers.registry import image_provider
from generation.quality.image_checks import assess_slide
from generation.quality.text_check import plan_lines
from generation.selectors import hedge_delay
from generation.services.async_attempts import batch_request_register
from generation.services.regeneration import requested_params
from generation.signing import signed_media_url
from generation.slides import TextBox

logger = logging.getLogger("nanodeck.engine")

EXACT_TEXT = {
    "zh": "页面上的文字必须与下列内容完全一致，不得增删或改写：",
    "en": "The slide must show exactly this text, nothing added, missing or reworded:",
}

OWN_IMAGES = {
    "zh": {
        "logo": "最后一张参考图是演讲者的标志：原样小尺寸放在页面一角。",
        "photos": "模板参考图之后的{n}张照片是演讲者自己的：",
        "cover": "请在这张封面上展示第一张照片。",
        "other": "合适时可以使用。",
    },
    "en": {
        "logo": "The last reference image is the presenter's logo: place it small and unchanged "
        "in a corner of the slide.",
        "photos": "The {n} photo(s) after the template's reference images are the presenter's "
        "own: ",
        "cover": "show the first on this cover slide.",
        "other": "use them where they fit.",
    },
}


def _reference_images(ctx: StepContext) -> list[dict]:
    """The template's reference images, then the batch's own: its photos, its logo last."""
    own = sorted(ctx.batch.reference_images, key=lambda ref: ref["role"] == "logo")
    return [*ctx.batch.template_snapshot.get("reference_images", []), *own]


def _own_images_note(ctx: StepContext) -> str:
    """What an image model is told about the batch's own images (nothing when there are none)."""
    words = OWN_IMAGES["zh" if ctx.page.plan.get("language") == "zh" else "en"]
    roles = [ref["role"] for ref in ctx.batch.reference_images]
    lines = []
    if roles.count("photo"):
        where = words["cover"] if ctx.page.plan.get("kind") == "cover" else words["other"]
        lines.append(words["photos"].format(n=roles.count("photo")) + where)
    if "logo" in roles:
        lines.append(words["logo"])
    return "".join(f"\n{line}" for line in lines)


class RenderStep:
    name = "render"
    MIN_FONT_SCALE = 0.6

    def default_params(self, ctx: StepContext) -> dict:
        # No scrim: the renderer's per-kind default applies until a retry asks for more.
        params = {"font_scale": 1.0, "layout": "auto", "text_contrast": "auto", "max_items": None}
        params["image_size"] = default_image_size(ctx.batch.opts.quality)
        if ctx.batch.opts.fresh:
            params["fresh"] = True
        # A regeneration's round starts from what was asked: edits, or an instruction and mode.
        return {**params, **requested_params(ctx.page.regeneration)}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        """Everything the image depends on: identical digests may share one stored image."""
        snapshot = ctx.batch.template_snapshot
        refs = [ref["sha256"] for ref in _reference_images(ctx)]
        options = ctx.batch.opts
        provider = image_provider(options.provider, options.model or None)
        return digest(
            [
                ctx.page.image_prompt,
                ctx.page.plan,
                refs,
                snapshot.get("palette"),
                options.provider,
                provider.image_model,  # the image model: batches choosing other models share nothing
                getattr(provider, "renderer_version", ""),  # the local renderer's code
                options.size,
                options.quality,
                params,
            ]
        )

    def _cached(self, ctx: StepContext, params: dict) -> StepOutput | None:
        """A stored image for an identical request of another page (never the page's own:
        regenerating must give a new image), unless the batch asked for fresh images."""
        if params.get("fresh"):
            return None
        hit = (
            StepRun.objects.filter(
                step=self.name, input_digest=self.input_digest(ctx, params), error_kind=""
            )
            .exclude(output_image="")
            .exclude(page=ctx.page)
            .order_by("-finished_at")
            .first()
        )
        if hit is None:
            return None
        with hit.output_image.open("rb") as handle:
            stored = handle.read()
        return StepOutput(
            image=decode_rgb(stored),
            # A PNG this pipeline stored: copied, not encoded again.
            image_png=stored if stored.startswith(PNG_SIGNATURE) else None,
            data=hit.output_data,
            provider=hit.provider,
            model=hit.model,
            cache_hit=True,
        )

    def _references(self, ctx: StepContext) -> list[bytes]:
        refs = []
        for ref in _reference_images(ctx):
            with default_storage.open(ref["path"], "rb") as handle:
                refs.append(handle.read())
        return refs

    def _reference_urls(self, ctx: StepContext) -> list[str]:
        """Expiring signed links to the reference images, for providers that fetch them."""
        return [signed_media_url(ref["path"]) for ref in _reference_images(ctx)]

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        cached = self._cached(ctx, params)
        if cached is not None:
            return cached
        provider = image_provider(ctx.batch.opts.provider, ctx.batch.opts.model or None)
        language = ctx.page.plan.get("language", "en")
        exact = (
            EXACT_TEXT.get(language, EXACT_TEXT["en"])
            + "\n"
            + "\n".join(line.text for line in plan_lines(ctx.page.plan))
        )
        remote, urls = provider.name != "local", provider.wants_reference_urls
        request = ImageRequest(
            prompt=requested_prompt(ctx.page, params, exact_text=exact) + _own_images_note(ctx),
            size=ctx.batch.size,
            quality=ctx.batch.opts.quality,
            references=(
                refined_references(ctx.page, params) + self._references(ctx) if remote else []
            ),
            reference_urls=(
                refined_reference_urls(ctx.page, params) + self._reference_urls(ctx) if urls else []
            ),
            page_plan=ctx.page.plan,
            theme=ctx.theme,
            params=params,
        )
        if ctx.batch.opts.delivery == "batch":  # into the next Gemini Batch API job
            batch_request_register(batch=ctx.batch, request=request, model=provider.image_model)
        result, hedge, call_ms = self._call(ctx, provider, request)
        data = {
            "boxes": [box.to_dict() for box in result.boxes] if result.boxes is not None else None,
            "safe_box": list(result.safe_box) if result.safe_box else None,
            "layout": result.layout,
            "usage": result.usage,
            "plan": ctx.page.plan,  # the text drawn: choosing this version brings it back
        }
        duplicate_cost = result.cost_usd if hedge and hedge.started else 0.0
        return StepOutput(
            image=result.image,
            image_png=result.png,
            data=data,
            provider=result.provider,
            model=result.model,
            cost_usd=result.cost_usd + duplicate_cost,  # both calls are billed
            call_ms=call_ms,
            hedge_after_ms=round(hedge.after * 1000) if hedge else None,
            hedged=bool(hedge and hedge.started),
            hedge_won=bool(hedge and hedge.won),
            hedge_cost_usd=duplicate_cost,
        )

    def _call(
        self, ctx: StepContext, provider: ImageProvider, request: ImageRequest
    ) -> tuple[ImageResult, Hedge | None, int]:
        """The provider's answer, the attempt's hedging (None when off) and the call's own
        time in ms."""
        if not ctx.batch.opts.hedge:
            timing = {}

            def call() -> ImageResult:
                started = time.monotonic()
                answer = provider.generate(request)
                timing["ms"] = round((time.monotonic() - started) * 1000)
                return answer

            return provider_call(ctx, provider, call), None, timing["ms"]
        after, source = hedge_delay(provider=provider.name, model=provider.image_model)
        if source == "prior":
            logger.info(
                "hedge_prior provider=%s after_s=%s reason=too_little_history",
                provider.name,
                after,
            )
        hedge = Hedge(after=after)
        result = hedged_call(
            provider.name,
            lambda cancel: provider.generate(replace(request, cancel=cancel)),
            holder=ctx.worker,
            checkpoint=ctx.checkpoint,
            hedge=hedge,
        )
        return result, hedge, hedge.call_ms

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        boxes = output.data.get("boxes")
        safe_box = output.data.get("safe_box")
        result = assess_slide(
            output.image,
            expected_size=ctx.batch.size,
            boxes=[TextBox.from_dict(box) for box in boxes] if boxes is not None else None,
            safe_box=tuple(safe_box) if safe_box else None,
            expected_lines=plan_lines(ctx.page.plan),
            ocr=settings.NANODECK["OCR_ENABLED"],
            ocr_languages=settings.NANODECK["OCR_LANGUAGES"],
        )
        return Assessment(score=result.score, metrics=result.metrics, hints=result.hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        hints, factor = set(assessment.hints), severity(assessment)
        new = dict(params)
        if hints & {"overflow", "font_too_small"}:
            shrunk = round(params["font_scale"] * (1 - 0.12 * factor), 2)
            if shrunk >= self.MIN_FONT_SCALE and "font_too_small" not in hints:
                new["font_scale"] = shrunk
            else:
                # The densest layout; never fewer items: a slide missing planned lines fails
                # the text check (splitting a page is the plan's business).
                new["layout"] = "bullets"
        if "low_contrast" in hints:
            current = params.get("scrim")
            new["scrim"] = min(1.0, round((0.8 if current is None else current) + 0.1 * factor, 2))
            new["text_contrast"] = "max"
        if "ocr_mismatch" in hints:
            new["font_scale"] = round(min(1.3, new["font_scale"] * (1 + 0.1 * factor)), 2)
            new["text_contrast"] = "max"
            # For image models: spell the text out in the prompt and ask for more pixels.
            new["exact_text"] = True
            new["image_size"] = next_image_size(params.get("image_size"))
        if hints:
            new["seed"] = attempt  # a model retried with the same seed tends to repeat itself
        return new

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        """The selected render is what `finish` publishes; nothing to write on the page yet."""
