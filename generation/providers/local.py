"""The embedded provider: no key, no network. Plans with rules, renders with Pillow."""

from generation.planning.describe import describe_page
from generation.planning.outline import OutlineError, parse_outline
from generation.providers.base import ErrorKind, ImageRequest, ImageResult, ProviderError
from generation.providers.textprompts import plan_pages
from generation.render.renderer import render_slide, renderer_digest
from generation.slides import Theme


class LocalProvider:
    name = "local"
    # One name for the renderer and the rule-based planner, as StepRuns have always recorded.
    image_model = "nanodeck-local-1"
    text_model = "nanodeck-local-1"
    known_models: tuple[str, ...] = ()
    wants_reference_urls = False

    @property
    def renderer_version(self) -> str:
        """Part of the render step's cache key: a cached image is reused only by the same drawing code."""
        return renderer_digest()

    def structure_outline(self, text: str, *, params: dict) -> dict:
        try:
            return parse_outline(text)
        except OutlineError as exc:
            raise ProviderError(ErrorKind.INVALID_REQUEST, str(exc)) from None

    def plan_pages(self, outline: dict, *, params: dict) -> list[dict]:
        return plan_pages(outline, params=params)

    def describe_page(self, page: dict, *, deck_title: str, params: dict) -> str:
        return describe_page(
            page,
            deck_title=deck_title,
            detail=params.get("detail", 2),
            max_chars=params.get("max_chars", 400),
        )

    def generate(self, request: ImageRequest) -> ImageResult:
        if not request.page_plan:
            raise ProviderError(
                ErrorKind.INVALID_REQUEST,
                "the local renderer draws slides from a page plan; use an image model for free prompts",
            )
        result = render_slide(
            request.page_plan, request.theme or Theme(), request.size, request.params
        )
        return ImageResult(
            image=result.image,
            provider=self.name,
            model=self.image_model,
            boxes=result.boxes,
            safe_box=result.safe_box,
            layout=result.layout,
            usage={"overflow": result.overflow, "font_scale": result.font_scale},
        )
