"""What a requested render round sends an image model (see services/regeneration.py).

`redraw` asks for a new image with the instruction added to the page's prompt. `refine` edits
the page's current image: it goes first among the reference images (the template's follow),
with the instruction and the page's exact text. Each provider sends the images its own way:
Gemini as inline image parts of generateContent
(https://ai.google.dev/gemini-api/docs/image-generation#image_editing_text-and-image-to-image),
OpenAI as `image[]` files of a multipart `images/edits`
(https://platform.openai.com/docs/api-reference/images/createEdit), kie as signed links
(`image_urls`) to its edit model (https://docs.kie.ai/market/google/nano-banana-edit).
"""

from __future__ import annotations

from django.core.files.storage import default_storage

from generation.models import Page
from generation.signing import signed_media_url

REFINE = {
    "zh": "按下面的要求修改第一张图片（这张幻灯片），其余保持不变，风格与其他参考图片一致：",
    "en": "Edit the first image (this slide) as asked below and keep everything else as it is, "
    "in the style of the other reference images:",
}
REDRAW = {
    "zh": "另外请按以下要求绘制：",
    "en": "Also follow this instruction:",
}


def requested_prompt(page: Page, params: dict, *, exact_text: str) -> str:
    """The prompt of the attempt: the page's image prompt, or for `refine` an edit of the
    current image; `exact_text` (the page's text spelled out) is added when asked for, and
    always to a refine (the model must not reword the slide while editing it)."""
    language = page.plan.get("language", "en")
    instruction = params.get("instruction", "")
    if params.get("mode") == "refine":
        return "\n".join([REFINE.get(language, REFINE["en"]), instruction, exact_text])
    prompt = page.image_prompt
    if instruction:
        prompt += "\n" + REDRAW.get(language, REDRAW["en"]) + " " + instruction
    if params.get("exact_text"):
        prompt += "\n" + exact_text
    return prompt


def image_to_refine(page: Page, params: dict) -> str:
    """The stored name of the image a refine edits ("" for any other attempt)."""
    if params.get("mode") != "refine":
        return ""
    return page.regeneration.get("image") or page.image.name


def refined_references(page: Page, params: dict) -> list[bytes]:
    """The image to refine, as the first reference image (none for other attempts)."""
    name = image_to_refine(page, params)
    if not name:
        return []
    with default_storage.open(name, "rb") as handle:
        return [handle.read()]


def refined_reference_urls(page: Page, params: dict) -> list[str]:
    """The image to refine as an expiring signed link, for providers that fetch images."""
    name = image_to_refine(page, params)
    return [signed_media_url(name)] if name else []
