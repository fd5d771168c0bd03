"""The five steps, one module each. Each computes, judges and adjusts; the engine records
and decides. The registries name them in the order a batch and a page run them."""

from generation.pipeline.steps.describe import DescribeStep
from generation.pipeline.steps.finish import FinishStep
from generation.pipeline.steps.image_render import ImageRenderStep
from generation.pipeline.steps.outline import OutlineStep
from generation.pipeline.steps.plan import PlanStep
from generation.pipeline.steps.render import RenderStep

BATCH_STEPS = {step.name: step for step in (OutlineStep(), PlanStep())}
PAGE_STEPS = {step.name: step for step in (DescribeStep(), RenderStep(), FinishStep())}
# A single image (a batch of kind image) starts at render: nothing to describe.
IMAGE_PAGE_STEPS = {**PAGE_STEPS, "render": ImageRenderStep()}


def page_steps(batch: object) -> dict:
    """The page steps for a batch of this kind."""
    return IMAGE_PAGE_STEPS if getattr(batch, "kind", "deck") == "image" else PAGE_STEPS
