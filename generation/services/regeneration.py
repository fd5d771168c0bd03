"""What a regeneration asks of a page's next render round, checked before anything changes.

An image model follows free text: an instruction, with a mode (`refine` edits the page's
current image, `redraw` draws a new one). The local renderer cannot follow free text, so it
takes structured edits instead: new text for the plan (title, subtitle, items) and how to draw
it (layout, text_scale, emphasis). The request is kept on the page (`Page.regeneration`) until
its render round is done; the edits' text goes into the page's plan, so the checks compare the
new slide with the new text.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from generation.errors import InvalidInput
from generation.models import Page
from generation.render.layouts import CONTENT_LAYOUTS

MODES = ("refine", "redraw")
LOCAL_EDITS = ("title", "subtitle", "items", "layout", "text_scale", "emphasis")
TEXT_SCALE = (0.8, 1.3)
MAX_TEXT = 300  # characters of a title, subtitle, item title or item text
MAX_ITEMS = 12
# Which edits a page shows, by the kind of page (cover-like pages have no items).
_COVER_EDITS = ("title", "subtitle", "text_scale")
_EDITS_BY_KIND = {
    "cover": _COVER_EDITS,
    "ending": _COVER_EDITS,
    "image": _COVER_EDITS,
    "transition": _COVER_EDITS,
    "contents": ("title", "items", "text_scale"),
}
_CONTENT_EDITS = ("title", "items", "layout", "text_scale", "emphasis")
_PLAN_EDITS = ("title", "subtitle", "items")
# Edits that the renderer takes as params, and the param's name.
_RENDER_PARAMS = {"layout": "layout", "text_scale": "font_scale", "emphasis": "emphasis"}


def renders_locally(page: Page) -> bool:
    """Whether the page's images are drawn by the local renderer (it takes edits, not text)."""
    return page.batch.opts.provider == "local"


def edits_allowed(page: Page) -> tuple[str, ...]:
    """The edits this page's kind shows (a cover has no items, a content page no subtitle)."""
    return _EDITS_BY_KIND.get(page.plan.get("kind", ""), _CONTENT_EDITS)


def regeneration_request(
    *,
    page: Page,
    from_step: str,
    mode: str | None,
    instruction: str,
    edits: dict | None,
    source: str,
) -> dict:
    """What the page's next render round starts from (stored as `Page.regeneration`); raises
    InvalidInput naming the field when the request does not fit how the page is drawn."""
    if from_step == "finish" and (instruction or edits or mode):
        raise InvalidInput(
            "a run from finish draws nothing: instruction, mode and edits need from_step "
            "describe or render",
            details={"from_step": "draws nothing"},
        )
    if renders_locally(page):
        _check_local(page, mode, instruction, edits)
        return {"edits": edits, "requested_by": source} if edits else {}
    _check_remote(page, mode, instruction, edits)
    if not instruction:
        return {}
    request = {"mode": mode or "redraw", "instruction": instruction, "requested_by": source}
    if mode == "refine":
        request["image"] = page.image.name
    return request


def _check_local(page: Page, mode: str | None, instruction: str, edits: dict | None) -> None:
    fields = ", ".join(LOCAL_EDITS)
    if instruction:
        raise InvalidInput(
            "the local renderer cannot follow free text: send edits instead, any of "
            f"{fields} (see the API schema)",
            details={"instruction": f"not for the local renderer; use edits: {fields}"},
        )
    if mode:
        raise InvalidInput(
            f"mode is for image models; the local renderer takes edits ({fields})",
            details={"mode": "not for the local renderer"},
        )
    if edits is not None:
        check_edits(page, edits)


def _check_remote(page: Page, mode: str | None, instruction: str, edits: dict | None) -> None:
    if edits:
        raise InvalidInput(
            f"edits are for the local renderer; {page.batch.opts.provider} draws from an "
            "instruction (mode refine or redraw)",
            details={"edits": "not for an image model; send an instruction"},
        )
    if mode is not None and mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", details={"mode": mode})
    if mode == "refine" and not instruction:
        raise InvalidInput(
            _("refine edits the page's image as instructed: send an instruction"),
            details={"instruction": "required for refine"},
        )
    if mode == "refine" and not page.image:
        raise InvalidInput(
            _("refine edits the page's image and it has none yet: use redraw"),
            details={"mode": "the page has no image to refine"},
        )


def check_edits(page: Page, edits: dict) -> None:
    """Every edit known, shown by this kind of page, and within its bounds."""
    allowed = edits_allowed(page)
    if not edits:
        raise InvalidInput(
            f"edits is empty: give at least one of {', '.join(allowed)}",
            details={"edits": "empty"},
        )
    for key in edits:
        if key not in LOCAL_EDITS:
            raise InvalidInput(
                f"unknown edit {key!r}: edits take {', '.join(LOCAL_EDITS)}",
                details={key: "unknown"},
            )
        if key not in allowed:
            raise InvalidInput(
                f"a {page.plan.get('kind') or 'content'} page shows no {key}: "
                f"its edits are {', '.join(allowed)}",
                details={key: "not shown on this page"},
            )
    _check_text(edits)
    _check_drawing(page, edits)


def _check_text(edits: dict) -> None:
    for key in ("title", "subtitle"):
        if key in edits and not _text(edits[key], required=key == "title"):
            raise InvalidInput(
                f"{key} must be text of at most {MAX_TEXT} characters"
                + (", not empty" if key == "title" else ""),
                details={key: "invalid"},
            )
    if "items" not in edits:
        return
    items = edits["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput(
            f"items must be a list of 1 to {MAX_ITEMS} {{title, text}}",
            details={"items": "invalid"},
        )
    for item in items:
        if (
            not isinstance(item, dict)
            or set(item) - {"title", "text"}
            or not all(_text(item.get(key, ""), required=False) for key in ("title", "text"))
            or not (item.get("title") or item.get("text"))
        ):
            raise InvalidInput(
                "each item is {title, text}: text of at most "
                f"{MAX_TEXT} characters, not both empty",
                details={"items": "invalid item"},
            )


def _text(value: object, *, required: bool) -> bool:
    return (
        isinstance(value, str) and len(value) <= MAX_TEXT and (bool(value.strip()) or not required)
    )


def _check_drawing(page: Page, edits: dict) -> None:
    if "layout" in edits and edits["layout"] not in CONTENT_LAYOUTS:
        raise InvalidInput(
            f"layout must be one of {', '.join(CONTENT_LAYOUTS)}", details={"layout": "unknown"}
        )
    scale = edits.get("text_scale")
    if "text_scale" in edits and not (
        isinstance(scale, int | float)
        and not isinstance(scale, bool)
        and math.isfinite(scale)
        and TEXT_SCALE[0] <= scale <= TEXT_SCALE[1]
    ):
        raise InvalidInput(
            f"text_scale must be a number from {TEXT_SCALE[0]} to {TEXT_SCALE[1]}",
            details={"text_scale": "out of range"},
        )
    if "emphasis" in edits:
        count = len(edits.get("items") or page.plan.get("items") or [])
        emphasis = edits["emphasis"]
        if isinstance(emphasis, bool) or not isinstance(emphasis, int) or not 0 <= emphasis < count:
            raise InvalidInput(
                f"emphasis is an item's index, from 0 to {count - 1}"
                if count
                else "emphasis needs items: this page has none",
                details={"emphasis": "not an item of the page"},
            )


def plan_with_edits(plan: dict, edits: dict) -> dict:
    """The page's plan with the edits' text (title, subtitle, items) in it."""
    plan = dict(plan)
    for key in _PLAN_EDITS:
        if key == "items" and key in edits:
            plan["items"] = [
                {"title": item.get("title", ""), "text": item.get("text", ""), "children": []}
                for item in edits["items"]
            ]
        elif key in edits:
            plan[key] = edits[key]
    return plan


def requested_params(regeneration: dict) -> dict:
    """The render params a page's regeneration asks for (recorded on the new attempts)."""
    params: dict = {}
    edits = regeneration.get("edits") or {}
    if edits:
        params["edits"] = edits
    for edit, param in _RENDER_PARAMS.items():
        if edit in edits:
            params[param] = edits[edit]
    for key in ("mode", "instruction"):
        if regeneration.get(key):
            params[key] = regeneration[key]
    return params
