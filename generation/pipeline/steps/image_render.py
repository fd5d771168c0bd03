"""The render step of a single image (a page of kind `image`, see services/images.py).

It shares the slide render step's cache, provider call and hedging; what differs is what is
asked and how it is judged:

- asked: the page's image prompt (the user's prompt with the template's style as a hint) at
  the image's own size, with a regeneration's instruction (refine: the current image first
  among the references), as for slides (render_request.py); in image mode the user's uploads go as the reference images (Gemini
  inline parts, OpenAI `images/edits`, kie's edit model through `mode: edit`), in text mode
  there are none. The local provider draws a poster or restyles the upload (render/poster.py).
- judged: there is no plan whose text must appear, so the text check does not apply. The
  image checks do: exact size and not blank, for any provider; where the local provider
  reports its text boxes, their contrast, overflow and size too (and OCR of their own text
  when OCR_ENABLED). A retry asks for another seed, and more contrast when it was low.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage

from generation.pipeline.engine import Assessment, StepContext, StepOutput, digest
from generation.pipeline.steps.render import RenderStep
from generation.pipeline.steps.render_request import (
    refined_reference_urls,
    refined_references,
    requested_prompt,
)
from generation.providers.base import ImageRequest
from generation.providers.registry import image_provider
from generation.quality.image_checks import assess_slide
from generation.services.regeneration import requested_params
from generation.signing import signed_media_url
from generation.slides import TextBox


class ImageRenderStep(RenderStep):
    name = "render"

    def default_params(self, ctx: StepContext) -> dict:
        params = {"image_size": ctx.page.plan.get("image_size") or "1K"}
        if ctx.page.plan.get("mode") == "image":
            params["mode"] = "edit"  # kie draws an edit from the references with its edit model
        if ctx.batch.opts.fresh:
            params["fresh"] = True
        # A regeneration asks with an instruction and a mode (refine: edit the current image).
        return {**params, **requested_params(ctx.page.regeneration)}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        options = ctx.batch.opts
        provider = image_provider(options.provider, options.model or None)
        return digest(
            [
                "image",
                ctx.page.image_prompt,
                ctx.page.plan,
                [ref["sha256"] for ref in ctx.batch.reference_images],
                ctx.batch.template_snapshot.get("palette"),
                options.provider,
                provider.image_model,
                getattr(provider, "renderer_version", ""),  # the local poster's code
                options.size,
                options.quality,
                params,
            ]
        )

    @staticmethod
    def _read(refs: list[dict]) -> list[bytes]:
        images = []
        for ref in refs:
            with default_storage.open(ref["path"], "rb") as handle:
                images.append(handle.read())
        return images

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        cached = self._cached(ctx, params)
        if cached is not None:
            return cached
        provider = image_provider(ctx.batch.opts.provider, ctx.batch.opts.model or None)
        refs = ctx.batch.reference_images  # the user's uploads; none in text mode
        page = ctx.page
        request = ImageRequest(
            prompt=requested_prompt(page, params, exact_text=""),
            size=ctx.batch.size,
            quality=ctx.batch.opts.quality,
            references=refined_references(page, params) + self._read(refs),
            reference_urls=(
                refined_reference_urls(page, params)
                + [signed_media_url(ref["path"]) for ref in refs]
                if provider.wants_reference_urls
                else []
            ),
            page_plan=ctx.page.plan,
            theme=ctx.theme,
            params=params,
        )
        result, hedge, call_ms = self._call(ctx, provider, request)
        duplicate_cost = result.cost_usd if hedge and hedge.started else 0.0
        return StepOutput(
            image=result.image,
            data={
                "boxes": None if result.boxes is None else [b.to_dict() for b in result.boxes],
                "safe_box": list(result.safe_box) if result.safe_box else None,
                "layout": result.layout,
                "usage": result.usage,
            },
            provider=result.provider,
            model=result.model,
            cost_usd=result.cost_usd + duplicate_cost,
            call_ms=call_ms,
            hedge_after_ms=round(hedge.after * 1000) if hedge else None,
            hedged=bool(hedge and hedge.started),
            hedge_won=bool(hedge and hedge.won),
            hedge_cost_usd=duplicate_cost,
        )

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        boxes = output.data.get("boxes")
        safe_box = output.data.get("safe_box")
        result = assess_slide(
            output.image,
            expected_size=ctx.batch.size,
            boxes=None if boxes is None else [TextBox.from_dict(box) for box in boxes],
            safe_box=tuple(safe_box) if safe_box else None,
            # No planned text: the local poster's boxes are read against their own text, a
            # model's image is not read at all.
            expected_lines=None if boxes is not None else [],
            ocr=settings.NANODECK["OCR_ENABLED"] and boxes is not None,
            ocr_languages=settings.NANODECK["OCR_LANGUAGES"],
        )
        return Assessment(score=result.score, metrics=result.metrics, hints=result.hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        new = {**params, "seed": attempt}
        if "low_contrast" in assessment.hints:
            new["text_contrast"] = "max"
        return new
