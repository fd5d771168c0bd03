"""The outline step: the outline text structured into a title, sections and pages."""

from __future__ import annotations

from generation.models import StepRun
from generation.pipeline.engine import Assessment, StepContext, StepOutput, digest
from generation.pipeline.steps.common import provider_call
from generation.providers.registry import text_provider


class OutlineStep:
    name = "outline"

    def default_params(self, ctx: StepContext) -> dict:
        # A text model is asked to write in the deck's language when the batch names one.
        language = ctx.batch.opts.language
        return {} if language == "auto" else {"language": language}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([ctx.batch.outline, ctx.batch.opts.text_provider, params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        outline = provider_call(
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
