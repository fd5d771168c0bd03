"""The plan step: the structured outline made into pages, within the page limit.

Pages are split to what the renderer fits on the batch's slides (continuation pages), so the
number of pages is known, and counted in the batch's progress, before anything is drawn."""

from __future__ import annotations

from django.conf import settings

from generation.errors import StepFailed
from generation.models import Page, StepRun
from generation.pipeline.engine import Assessment, StepContext, StepOutput, digest
from generation.pipeline.steps.common import provider_call, selected_run
from generation.planning.planner import check_plan
from generation.providers.registry import text_provider
from generation.render.fit import template_fonts


class PlanStep:
    name = "plan"

    def default_params(self, ctx: StepContext) -> dict:
        # slide_size, fonts: pages are split to what the renderer fits on the batch's slides in
        # its template's fonts; language ("auto": the outline's) and ending are the options'.
        return {
            "max_items_per_page": 6,
            "disambiguate_titles": False,
            "slide_size": list(ctx.batch.size),
            "fonts": list(template_fonts(ctx.batch.template_snapshot.get("fonts"))),
            "language": ctx.batch.opts.language,
            "ending": ctx.batch.opts.ending,
        }

    def _outline(self, ctx: StepContext) -> dict:
        return selected_run(ctx, "outline", batch_level=True).output_data

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return digest([self._outline(ctx), params])

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        provider = text_provider(ctx.batch.opts.text_provider)
        outline = self._outline(ctx)
        pages = provider_call(
            ctx, provider, lambda: provider.plan_pages(outline, params=params), text=True
        )
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
            # No item limit: only what fits splits a page, the fewest slides planning can make
            # and the count `outline_check_size` accepted the outline with.
            new["max_items_per_page"] = None
        return new

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        plans = run.output_data["pages"]
        unfit = [
            f"slide {n} ({plan['title'][:80]}): {plan['unfit']}"
            for n, plan in enumerate(plans, start=1)
            if plan.get("unfit")
        ]
        if unfit:  # refused before anything is drawn: never a slide with text cut off
            raise StepFailed("some text cannot fit on a slide: " + "; ".join(unfit[:3]))
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
