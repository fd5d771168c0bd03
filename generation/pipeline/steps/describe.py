"""The describe step: a page's description, and from it the page's image prompt."""

from __future__ import annotations

from generation.models import StepRun
from generation.pipeline.engine import Assessment, StepContext, StepOutput, digest
from generation.pipeline.steps.common import provider_call, severity
from generation.planning.describe import check_description
from generation.planning.prompts import build_image_prompt
from generation.providers.registry import text_provider


class DescribeStep:
    name = "describe"

    def default_params(self, ctx: StepContext) -> dict:
        return {"detail": 2, "max_chars": 400}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([ctx.page.plan, ctx.batch.title, params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        text = provider_call(
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
        step = round(severity(assessment))
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
        ctx.save_page(["description", "image_prompt"])  # with the page's advance, if any
