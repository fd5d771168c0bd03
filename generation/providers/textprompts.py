"""The planning steps' prompts for text models, and strict checks of the JSON they answer.

A text provider sends a prompt through `ask_json`, which asks again (at most twice) when the
answer is not the JSON the prompt asked for, telling the model what was wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from generation.planning.describe import TARGET_MIN_CHARS, check_description
from generation.planning.outline import OutlineError, detect_language, parse_outline
from generation.planning.planner import compose_pages
from generation.providers.base import ErrorKind, ProviderError
from generation.render.fit import fit_measure

logger = logging.getLogger("nanodeck.providers")
T = TypeVar("T")

MAX_TRIES = 3
LANGUAGES = {"zh": "Simplified Chinese", "en": "English"}
FIX_HINTS = {
    "no_title": "The deck had no title: give it a clear, non-empty title.",
    "no_pages": "There were no pages: every section needs at least one page.",
    "empty_pages": "Some pages had no items: give every page 2-6 items drawn from the input.",
}
DETAIL = {
    1: "Keep to the essentials: the texts and the main layout.",
    2: "Cover the texts, the layout and the main visual elements.",
    3: "Be specific: every text block, the layout, each visual element with its position, "
    "and the colour emphasis.",
}

OUTLINE_PROMPT = """You turn a brief or an outline into the structured outline of a slide deck.

Input:
<<<
{text}
>>>

If the input is already an outline, keep its title, order, headings and wording and only give it
the structure below. If it is a brief, write a focused outline for it: 3-6 sections, each with
1-3 pages of 3-5 items. {language}
{fixes}
Answer with one JSON object and nothing else, shaped like this:
{{"title": "deck title", "subtitle": "", "language": "en",
  "sections": [{{"title": "section title", "items": [],
    "pages": [{{"title": "page title",
      "items": [{{"title": "short item title", "text": "one sentence", "children": ["sub-point"]}}]}}]}}]}}
Rules: "title" is required and not empty; "language" is "zh" or "en"; every value is a string or a
list exactly as shown; every page has a title and at least one item; an item has a title, a text
or both; "items" directly under a section are only for a section without pages."""

DESCRIBE_PROMPT = """You are a presentation designer. Describe one slide of the deck "{deck_title}"
for an image model that will draw it.

The page, as the deck plan gives it (JSON):
{page}

Write {min_chars}-{max_chars} characters of plain text in {language} about the page's content,
layout and visual elements: the title, subtitle and body text it shows, where each block sits,
and the charts, diagrams, icons and images with their positions. {detail}
Use the page's own title and texts word for word. Plain sentences only: no Markdown, no
headings, bullets, bold, code or links.{extra}
Answer with one JSON object and nothing else: {{"description": "..."}}"""

DRAFT_PROMPT = """You write the outline of a slide deck from a brief.

The brief: {brief}

Write the outline in {language}{pages}. Use Markdown and nothing else: the deck's title as
"# Title", each section as "## Section", each slide as "### Slide title" followed by 2-5 short
bullet points ("- point"). Use words a presenter would put on the slides; no notes, no
numbering in the headings, no slides for a title page, contents or thanks (they are added).
Answer with one JSON object and nothing else: {{"outline": "..."}}"""

RETRY_NOTE = (
    "\n\nYour previous answer could not be used: {reason}. Answer again with the JSON object only."
)


class InvalidAnswer(ValueError):
    """The model's answer is not the JSON the prompt asked for; the message says why."""


def outline_prompt(text: str, *, fix: list[str], language: str = "auto") -> str:
    """The outline prompt; `language` ("zh" or "en", else the input's) is the deck's."""
    hints = [FIX_HINTS[hint] for hint in fix if hint in FIX_HINTS]
    fixes = ""
    if hints:
        fixes = "\nA previous attempt was weak. Fix this:\n" + "".join(f"* {h}\n" for h in hints)
    wanted = "Write in the language of the input."
    if language in LANGUAGES:
        wanted = (
            f"Write in {LANGUAGES[language]}, translating what the input says in another "
            f'language, and set "language" to "{language}".'
        )
    return OUTLINE_PROMPT.format(text=text.strip(), fixes=fixes, language=wanted)


def draft_prompt(brief: str, *, language: str, pages: int | None) -> str:
    code = detect_language(brief) if language == "auto" else language
    count = f", with about {pages} slides" if pages else ""
    return DRAFT_PROMPT.format(brief=brief.strip(), language=LANGUAGES[code], pages=count)


def parse_draft_answer(answer: str) -> str:
    """The outline's Markdown, once the outline parser finds pages in it."""
    try:
        data = json.loads(answer)
    except ValueError as exc:
        raise InvalidAnswer(f"not JSON ({exc})") from None
    outline = data.get("outline") if isinstance(data, dict) else None
    if not isinstance(outline, str) or not outline.strip():
        raise InvalidAnswer('"outline" must be a non-empty string')
    try:
        parse_outline(outline)
    except OutlineError as exc:
        raise InvalidAnswer(f"the outline cannot be used: {exc}") from None
    return outline.strip() + "\n"


def describe_prompt(page: dict, *, deck_title: str, params: dict) -> str:
    extra = []
    if params.get("plain_text"):
        extra.append("The previous description contained Markdown; write plain sentences only.")
    if params.get("instruction"):
        extra.append(f"Follow this instruction from the reviewer: {params['instruction']}")
    detail = min(3, max(1, int(params.get("detail", 2))))
    return DESCRIBE_PROMPT.format(
        deck_title=deck_title,
        page=json.dumps(page, ensure_ascii=False),
        min_chars=TARGET_MIN_CHARS,
        max_chars=params.get("max_chars", 400),
        language=LANGUAGES["zh" if page.get("language") == "zh" else "en"],
        detail=DETAIL[detail],
        extra="".join(f"\n{line}" for line in extra),
    )


def ask_json(
    ask: Callable[[str], str],
    prompt: str,
    parse: Callable[[str], T],
    *,
    provider: str,
    what: str,
) -> T:
    """parse(ask(prompt)), asking again with the reason when the answer is invalid; after
    MAX_TRIES invalid answers, ProviderError(INVALID_REQUEST) naming the last problem."""
    reason = ""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return parse(ask(prompt + RETRY_NOTE.format(reason=reason) if reason else prompt))
        except InvalidAnswer as exc:
            reason = str(exc)
            logger.warning(
                "provider_invalid_answer provider=%s what=%s try=%s reason=%s",
                provider,
                what,
                attempt,
                reason,
            )
    raise ProviderError(
        ErrorKind.INVALID_REQUEST,
        f"{provider}'s text model gave no usable {what} in {MAX_TRIES} tries: {reason}",
    )


def parse_outline_answer(answer: str, *, source: str) -> dict:
    """The outline dict of generation.planning.outline (headings derived from the structure)."""
    data = _load_object(answer)
    title = _string(data, "title", "the outline", required=True)
    subtitle = _string(data, "subtitle", "the outline")
    language = data.get("language") or detect_language(source)
    if language not in LANGUAGES:
        raise InvalidAnswer('"language" must be "zh" or "en"')
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise InvalidAnswer('"sections" must be a non-empty list')
    sections = [_section(section, number) for number, section in enumerate(raw_sections, 1)]
    if not any(section["pages"] or section["items"] for section in sections):
        raise InvalidAnswer("the outline has no pages")
    headings = [title]
    for section in sections:
        headings += [section["title"]] if section["title"] else []
        headings += [page["title"] for page in section["pages"]]
    return {
        "title": title,
        "subtitle": subtitle,
        "language": language,
        "sections": sections,
        "headings": headings,
    }


def parse_description_answer(answer: str, *, page: dict) -> str:
    description = _load_object(answer).get("description")
    if not isinstance(description, str) or not description.strip():
        raise InvalidAnswer('"description" must be a non-empty string')
    markdown = check_description(description, page)[1]["markdown_left"]
    if markdown:
        raise InvalidAnswer(f"the description contains Markdown ({' '.join(markdown)})")
    return description.strip()


def _load_object(answer: str) -> dict:
    try:
        data = json.loads(answer)
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("not a JSON object")
    return data


def _string(data: dict, key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise InvalidAnswer(f'{where}: "{key}" must be a string')
    if required and not value.strip():
        raise InvalidAnswer(f'{where}: "{key}" must not be empty')
    return value.strip()


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidAnswer(f'{where}: "{key}" must be a list')
    return value


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidAnswer(f"{where} must be an object")
    return value


def _section(raw: object, number: int) -> dict:
    where = f"section {number}"
    section = _object(raw, where)
    pages = []
    for index, page in enumerate(_list(section, "pages", where), 1):
        page_where = f"{where}, page {index}"
        page = _object(page, page_where)
        pages.append(
            {
                "title": _string(page, "title", page_where, required=True),
                "items": _items(page, page_where),
            }
        )
    return {
        "title": _string(section, "title", where),
        "pages": pages,
        "items": _items(section, where),
    }


def _items(data: dict, where: str) -> list[dict]:
    items = []
    for index, raw in enumerate(_list(data, "items", where), 1):
        item_where = f"{where}, item {index}"
        item = _object(raw, item_where)
        children = _list(item, "children", item_where)
        if not all(isinstance(child, str) for child in children):
            raise InvalidAnswer(f'{item_where}: "children" must be strings')
        title, text = _string(item, "title", item_where), _string(item, "text", item_where)
        if not title and not text:
            raise InvalidAnswer(f"{item_where} has neither a title nor a text")
        items.append({"title": title, "text": text, "children": [c.strip() for c in children]})
    return items


def plan_pages(outline: dict, *, params: dict) -> list[dict]:
    """The deck's structure is deterministic: every provider plans pages the same way.

    With params["slide_size"] ([width, height]) a page holding more text than the local
    renderer fits on such a slide at its minimum font sizes (in params["fonts"], the template's
    [title, body] fonts) is split into continuation pages;
    params["language"] (zh, en; else the outline's) is the deck's language and
    params["ending"] adds the closing page (see compose_pages)."""
    size = params.get("slide_size")
    return compose_pages(
        outline,
        max_items_per_page=params.get("max_items_per_page", 6),
        disambiguate_titles=params.get("disambiguate_titles", False),
        fits=fit_measure(tuple(size), tuple(params.get("fonts") or ("", ""))) if size else None,
        language=params.get("language"),
        ending=params.get("ending", False),
    )


class ModelPlanning:
    """The planning steps through a text model: the provider supplies `name` and
    `_ask(prompt) -> str` (one JSON answer)."""

    name: str

    def _ask(self, prompt: str) -> str:
        raise NotImplementedError

    def structure_outline(self, text: str, *, params: dict) -> dict:
        return ask_json(
            self._ask,
            outline_prompt(
                text, fix=params.get("fix") or [], language=params.get("language", "auto")
            ),
            lambda answer: parse_outline_answer(answer, source=text),
            provider=self.name,
            what="outline",
        )

    def plan_pages(self, outline: dict, *, params: dict) -> list[dict]:
        return plan_pages(outline, params=params)

    def draft_outline(self, brief: str, *, language: str, pages: int | None) -> str:
        """An outline in Markdown for a one-line brief, for a person to edit."""
        return ask_json(
            self._ask,
            draft_prompt(brief, language=language, pages=pages),
            parse_draft_answer,
            provider=self.name,
            what="outline draft",
        )

    def describe_page(self, page: dict, *, deck_title: str, params: dict) -> str:
        return ask_json(
            self._ask,
            describe_prompt(page, deck_title=deck_title, params=params),
            lambda answer: parse_description_answer(answer, page=page),
            provider=self.name,
            what="page description",
        )
