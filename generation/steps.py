"""The five steps. Each computes, judges and adjusts; the engine records and decides."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image

from generation.describe import check_description
from generation.engine import Assessment, StepContext, StepOutput, digest
from generation.errors import StepFailed
from generation.images import open_rgb
from generation.models import Page, StepRun
from generation.planner import check_plan
from generation.prompts import build_image_prompt
from generation.providers.base import ImageRequest, default_image_size, next_image_size
from generation.providers.gate import call_provider
from generation.providers.registry import image_provider, text_provider
from generation.quality.image_checks import assess_slide
from generation.signing import signed_media_url
from generation.slides import TextBox, Theme, page_texts

THUMBNAIL_WIDTH = 300
EXACT_TEXT = {
    "zh": "页面上的文字必须与下列内容完全一致，不得增删或改写：",
    "en": "The slide must show exactly this text, nothing added, missing or reworded:",
}


def selected_run(ctx: StepContext, step: str, *, batch_level: bool = False) -> StepRun:
    scope = {"page__isnull": True} if batch_level else {"page": ctx.page}
    return StepRun.objects.get(batch=ctx.batch, step=step, selected=True, **scope)


def load_theme(snapshot: dict) -> Theme:
    refs = snapshot.get("reference_images") or [{}]
    return _theme(
        tuple(snapshot.get("palette", [])),
        snapshot.get("style", ""),
        refs[0].get("path"),
        refs[0].get("sha256"),
    )


@lru_cache(maxsize=32)
def _theme(palette: tuple[str, ...], style: str, path: str | None, sha256: str | None) -> Theme:
    """Snapshot images never change (the digest is part of the key), so each process decodes
    a batch's reference image once instead of once per page."""
    reference = open_rgb(path) if path else None
    return Theme.from_palette(list(palette), reference_image=reference, style=style)


def _severity(assessment: Assessment) -> float:
    """Large adjustments below 5/10, small ones below 7/10 (the brief's adaptive retry)."""
    return 2.0 if assessment.score < 5 else 1.0


def _call(ctx: StepContext, provider, call, *, text: bool = False):
    """A provider call under the provider's limits; the local planner's text calls are not gated."""
    gated = not (text and provider.name == "local")
    return call_provider(
        provider.name, call, holder=ctx.worker, checkpoint=ctx.checkpoint, gated=gated
    )


class OutlineStep:
    name = "outline"

    def default_params(self, ctx: StepContext) -> dict:
        return {}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([ctx.batch.outline, ctx.batch.opts.text_provider, params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        outline = _call(
            ctx,
            provider,
            lambda: provider.structure_outline(ctx.batch.outline, params=params),
            text=True,
        )
        return StepOutput(
            data=outline,
            provider=provider.name,
            model=provider.text_model,
        )

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        sections = output.data.get("sections", [])
        pages = [page for section in sections for page in section.get("pages", [])]
        loose = [
            section for section in sections if section.get("items") and not section.get("pages")
        ]
        empty = [page for page in pages if not page.get("items")]
        metrics = {
            "title_present": bool(output.data.get("title")),
            "sections": len(sections),
            "pages": len(pages) + len(loose),
            "empty_pages": len(empty),
            "headings": len(output.data.get("headings", [])),
        }
        hints = []
        score = 10.0
        if not metrics["title_present"]:
            score -= 3
            hints.append("no_title")
        if metrics["pages"] == 0:
            score = 0.0
            hints.append("no_pages")
        elif empty:
            score -= 4 * len(empty) / metrics["pages"]
            hints.append("empty_pages")
        return Assessment(score=max(score, 0.0), metrics=metrics, hints=hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        # A text model is told what was wrong; the rule-based parser reads the same input again.
        return {**params, "fix": assessment.hints}

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        if not ctx.batch.title:
            ctx.batch.title = run.output_data.get("title", "")[:300]
            ctx.batch.save(update_fields=["title", "updated_at"])


class PlanStep:
    name = "plan"

    def default_params(self, ctx: StepContext) -> dict:
        return {"max_items_per_page": 6, "disambiguate_titles": False}

    def _outline(self, ctx: StepContext) -> dict:
        return selected_run(ctx, "outline", batch_level=True).output_data

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([self._outline(ctx), params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        outline = self._outline(ctx)
        pages = _call(ctx, provider, lambda: provider.plan_pages(outline, params=params), text=True)
        return StepOutput(
            data={"pages": pages},
            provider=provider.name,
            model=provider.text_model,
        )

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        score, metrics, hints = check_plan(
            self._outline(ctx),
            output.data["pages"],
            max_pages=settings.NANODECK["MAX_PAGES_PER_BATCH"],
        )
        return Assessment(score=score, metrics=metrics, hints=hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        new = dict(params)
        if "duplicate_titles" in assessment.hints:
            new["disambiguate_titles"] = True
        if "too_many_pages" in assessment.hints:
            new["max_items_per_page"] = params["max_items_per_page"] + round(
                2 * _severity(assessment)
            )
        return new

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        plans = run.output_data["pages"]
        limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
        if len(plans) > limit:  # a hard limit, whatever the policy says about a weak plan
            raise StepFailed(
                f"the plan has {len(plans)} slides; the limit is {limit} (MAX_PAGES_PER_BATCH): "
                "shorten the outline or split it into several decks"
            )
        Page.objects.bulk_create(
            Page(
                batch=ctx.batch,
                index=index,
                kind=plan["kind"],
                title=plan["title"][:300],
                plan=plan,
            )
            for index, plan in enumerate(plans, start=1)
        )
        ctx.batch.total_pages = len(plans)
        ctx.batch.save(update_fields=["total_pages", "updated_at"])


class DescribeStep:
    name = "describe"

    def default_params(self, ctx: StepContext) -> dict:
        return {"detail": 2, "max_chars": 400}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([ctx.page.plan, ctx.batch.title, params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        text = _call(
            ctx,
            provider,
            lambda: provider.describe_page(
                ctx.page.plan, deck_title=ctx.batch.title, params=params
            ),
            text=True,
        )
        return StepOutput(
            text=text,
            provider=provider.name,
            model=provider.text_model,
        )

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        score, metrics, hints = check_description(output.text, ctx.page.plan)
        return Assessment(score=score, metrics=metrics, hints=hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        step = round(_severity(assessment))
        new = dict(params)
        if "too_short" in assessment.hints:
            new["detail"] = min(3, params["detail"] + step)
        if "too_long" in assessment.hints:
            new["detail"] = max(1, params["detail"] - step)
            new["max_chars"] = params["max_chars"] - 20 * step
        if "markdown_left" in assessment.hints:
            new["plain_text"] = True
        return new

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        page = ctx.page
        page.description = run.output_text
        page.image_prompt = build_image_prompt(
            page=page.plan,
            description=run.output_text,
            deck_title=ctx.batch.title,
            snapshot=ctx.batch.template_snapshot,
            size=ctx.batch.size,
        )
        page.save(update_fields=["description", "image_prompt"])


class RenderStep:
    name = "render"
    MIN_FONT_SCALE = 0.6

    def default_params(self, ctx: StepContext) -> dict:
        # No scrim: the renderer's per-kind default applies until a retry asks for more.
        params = {"font_scale": 1.0, "layout": "auto", "text_contrast": "auto", "max_items": None}
        params["image_size"] = default_image_size(ctx.batch.opts.quality)
        if ctx.batch.opts.fresh:
            params["fresh"] = True
        return params

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        """Everything the image depends on: identical digests may share one stored image."""
        snapshot = ctx.batch.template_snapshot
        refs = [ref["sha256"] for ref in snapshot.get("reference_images", [])]
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
        return StepOutput(
            image=open_rgb(hit.output_image),
            data=hit.output_data,
            provider=hit.provider,
            model=hit.model,
            cache_hit=True,
        )

    def _references(self, ctx: StepContext) -> list[bytes]:
        refs = []
        for ref in ctx.batch.template_snapshot.get("reference_images", []):
            with default_storage.open(ref["path"], "rb") as handle:
                refs.append(handle.read())
        return refs

    def _reference_urls(self, ctx: StepContext) -> list[str]:
        """Expiring signed links to the reference images, for providers that fetch them."""
        refs = ctx.batch.template_snapshot.get("reference_images", [])
        return [signed_media_url(ref["path"]) for ref in refs]

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        cached = self._cached(ctx, params)
        if cached is not None:
            return cached
        provider = image_provider(ctx.batch.opts.provider, ctx.batch.opts.model or None)
        prompt = ctx.page.image_prompt
        if params.get("exact_text"):
            language = ctx.page.plan.get("language", "en")
            prompt += (
                "\n"
                + EXACT_TEXT.get(language, EXACT_TEXT["en"])
                + "\n"
                + "\n".join(page_texts(ctx.page.plan))
            )
        request = ImageRequest(
            prompt=prompt,
            size=ctx.batch.size,
            quality=ctx.batch.opts.quality,
            references=[] if provider.name == "local" else self._references(ctx),
            reference_urls=(self._reference_urls(ctx) if provider.wants_reference_urls else []),
            page_plan=ctx.page.plan,
            theme=ctx.theme,
            params=params,
        )
        result = _call(ctx, provider, lambda: provider.generate(request))
        data = {
            "boxes": [box.to_dict() for box in result.boxes] if result.boxes is not None else None,
            "safe_box": list(result.safe_box) if result.safe_box else None,
            "layout": result.layout,
            "usage": result.usage,
        }
        return StepOutput(
            image=result.image,
            data=data,
            provider=result.provider,
            model=result.model,
            cost_usd=result.cost_usd,
        )

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        boxes = output.data.get("boxes")
        safe_box = output.data.get("safe_box")
        result = assess_slide(
            output.image,
            expected_size=ctx.batch.size,
            boxes=[TextBox.from_dict(box) for box in boxes] if boxes is not None else None,
            safe_box=tuple(safe_box) if safe_box else None,
            expected_texts=page_texts(ctx.page.plan),
            ocr=settings.NANODECK["OCR_ENABLED"],
            ocr_languages=settings.NANODECK["OCR_LANGUAGES"],
        )
        return Assessment(score=result.score, metrics=result.metrics, hints=result.hints)

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        hints, factor = set(assessment.hints), _severity(assessment)
        new = dict(params)
        if hints & {"overflow", "font_too_small"}:
            shrunk = round(params["font_scale"] * (1 - 0.12 * factor), 2)
            if shrunk >= self.MIN_FONT_SCALE and "font_too_small" not in hints:
                new["font_scale"] = shrunk
            else:
                new["max_items"] = max(2, (params.get("max_items") or 6) - round(factor))
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


class FinishStep:
    name = "finish"

    def default_params(self, ctx: StepContext) -> dict:
        return {"thumbnail_width": THUMBNAIL_WIDTH}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([selected_run(ctx, "render").pk, params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        render = selected_run(ctx, "render")
        image = ctx.images.get(render.pk)
        if image is None:  # resumed in another process: read what the render step stored
            image = open_rgb(render.output_image)
        width = params["thumbnail_width"]
        size = (width, round(width * image.height / image.width))
        # A box reduction first makes the Lanczos pass cheap (~1 ms instead of ~12 ms).
        factor = image.width // width
        thumbnail = (image.reduce(factor) if factor > 1 else image).resize(
            size, Image.Resampling.LANCZOS
        )
        data = {"image": render.output_image.name, "source_size": list(image.size)}
        return StepOutput(image=thumbnail, data=data, provider="local", model="pillow")

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        width, height = output.data["source_size"]
        expected = (THUMBNAIL_WIDTH, round(THUMBNAIL_WIDTH * height / width))
        stored = default_storage.exists(output.data["image"])
        metrics = {
            "thumbnail_size": list(output.image.size),
            "expected": list(expected),
            "image_stored": stored,
        }
        ok = output.image.size == expected and stored
        return Assessment(
            score=10.0 if ok else 0.0, metrics=metrics, hints=[] if ok else ["not_published"]
        )

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        return {**params, "thumbnail_width": THUMBNAIL_WIDTH}

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        page = ctx.page
        page.image.name = run.output_data["image"]
        page.thumbnail.name = run.output_image.name
        page.save(update_fields=["image", "thumbnail"])


BATCH_STEPS = {step.name: step for step in (OutlineStep(), PlanStep())}
PAGE_STEPS = {step.name: step for step in (DescribeStep(), RenderStep(), FinishStep())}
