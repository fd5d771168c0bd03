"""A page plan changed by people: the changes checked, and what a deck's order makes of its
sections (numbers on transition pages, the list on the contents page). Pure Python: the edit
service (generation/services/page_edits.py) stores what this computes."""

from __future__ import annotations

from generation.errors import InvalidInput
from generation.planning.planner import number_label

PLAN_FIELDS = ("title", "subtitle", "items", "layout")
SEPARATOR = " · "  # between the sections the planner lists on the ending page
# What people may change on each kind of page; the rest follows from the deck (a transition
# page's number, the contents page's list).
EDITABLE_FIELDS = {
    "content": PLAN_FIELDS,
    "cover": ("title", "subtitle"),
    "ending": ("title", "subtitle"),
    "image": ("title", "subtitle"),
    "transition": ("title",),
    "contents": ("title",),
}
MAX_ITEMS = 20  # far more than a slide holds: the fit check says so with its own message
MAX_TITLE = 300  # a page's title and subtitle
MAX_ITEM_TEXT = 2000  # an item's title, text or child (the fit check bounds them together)


def changes_checked(changes: dict, *, kind: str, layouts: tuple[str, ...]) -> dict:
    """The changes, checked: only what a page of `kind` lets people change, text within its
    limits, items as the planner writes them, a layout the renderer has."""
    allowed = EDITABLE_FIELDS.get(kind, ())
    for key in changes:
        if key not in allowed:
            raise InvalidInput(
                f"{key} cannot be changed on a {kind} page (it can change: "
                f"{', '.join(allowed) or 'nothing'})",
                details={key: f"not editable on a {kind} page"},
            )
    clean = {key: _text(key, changes[key]) for key in ("title", "subtitle") if key in changes}
    if "title" in clean and not clean["title"]:
        raise InvalidInput("a page needs a title", details={"title": "empty"})
    if "items" in changes:
        clean["items"] = _items(changes["items"])
    if "layout" in changes:
        if changes["layout"] not in layouts:
            raise InvalidInput(
                f"layout must be one of {', '.join(layouts)}",
                details={"layout": str(changes["layout"])[:80]},
            )
        clean["layout"] = changes["layout"]
    return clean


def _text(field: str, value: object, limit: int = MAX_TITLE) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", details={field: "not text"})
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(
            f"{field} has {len(value)} characters; at most {limit}",
            details={field: "too long"},
        )
    return value


def _items(items: object) -> list[dict]:
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise InvalidInput(
            f"items must be a list of at most {MAX_ITEMS} items", details={"items": "not a list"}
        )
    clean = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) - {"title", "text", "children"}:
            raise InvalidInput(f"item {n} must be {{title, text, children}}", details={"items": n})
        children = item.get("children") or []
        if not isinstance(children, list):
            raise InvalidInput(f"item {n}: children must be a list", details={"items": n})
        title = _text("title", item.get("title", ""), MAX_ITEM_TEXT)
        text = _text("text", item.get("text", ""), MAX_ITEM_TEXT)
        kept = [_text("children", child, MAX_ITEM_TEXT) for child in children]
        if not (title or text):
            raise InvalidInput(f"item {n} has neither title nor text", details={"items": n})
        clean.append({"title": title, "text": text, "children": [c for c in kept if c]})
    return clean


def opens_section(plan: dict) -> bool:
    """A page that opens a section: a transition page, or the content page the planner makes
    of a section's own items (titled as the section)."""
    if plan.get("kind") == "transition":
        return True
    return (
        plan.get("kind") == "content"
        and bool(plan.get("section_index"))
        and plan.get("section") == plan.get("title")
        and not plan.get("continues")
    )


def sections_numbered(plans: list[dict], *, before: list[dict] | None = None) -> list[dict]:
    """The plans of a deck's pages in order, with its sections as that order makes them: the
    pages that open a section numbered by their place (a transition page shows its number),
    the contents page listing the sections' titles, and an ending page whose subtitle listed
    the sections as they were (`before`: the plans before the change) listing them as they
    are. Other plans are returned as they are."""
    openers = [n for n, plan in enumerate(plans) if opens_section(plan)]
    result = list(plans)
    for number, n in enumerate(openers, start=1):
        plan = {**plans[n], "section_index": number}
        if plan.get("kind") == "transition":
            plan["subtitle"] = number_label(number, plan.get("language", "en"))
        result[n] = plan
    titles = [plans[n].get("title", "") for n in openers]
    sections = [{"title": title, "text": "", "children": []} for title in titles]
    contents = [n for n, plan in enumerate(plans) if plan.get("kind") == "contents"]
    for position, n in enumerate(contents):
        # Continued contents pages keep their share; the last one takes the rest.
        last = position == len(contents) - 1
        share = len(sections) if last else len(plans[n].get("items", []))
        items, sections = sections[:share], sections[share:]
        result[n] = {**plans[n], "items": items}
    listed = _summary(before) if before is not None else None
    for n, plan in enumerate(plans):
        if plan.get("kind") == "ending" and listed and plan.get("subtitle") == listed:
            result[n] = {**plan, "subtitle": SEPARATOR.join(titles)}
    return result


def _summary(plans: list[dict]) -> str:
    """The sections in brief, as the planner writes them on the ending page."""
    return SEPARATOR.join(plan.get("title", "") for plan in plans if opens_section(plan))
