"""How one review item is shown to an evaluator, shared by the JSON API and the review site.

`absolute` turns a relative media URL into what the caller needs: `request.build_absolute_uri`
for the API, the identity for HTML pages. Nothing here reveals other evaluators' judgements.
"""

import json
import re
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage

from generation.models import Step
from review.models import Assignment, Criterion, ReviewItem

Absolute = Callable[[str], str]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _url(absolute: Absolute, url: str | None) -> str | None:
    return absolute(url) if url else None


def item_input(item: ReviewItem, absolute: Absolute) -> dict:
    """What the item's step was given."""
    run = item.step_run
    page = run.page
    if item.step == Step.PLAN:
        return {"outline": run.batch.outline}
    if item.step == Step.DESCRIBE and page is not None:
        return {"plan": page.plan}
    if item.step == Step.RENDER and page is not None:
        refs = run.batch.template_snapshot.get("reference_images") or []
        path = refs[0].get("path") if refs else None
        return {
            "description": page.description,
            "plan": page.plan,
            "reference_image": _url(absolute, default_storage.url(path) if path else None),
        }
    return {}


def item_body(item: ReviewItem, user: AbstractBaseUser, absolute: Absolute) -> dict:
    """Everything an evaluator needs to judge one step output, blind to other evaluators."""
    run = item.step_run
    lease = (
        Assignment.objects.filter(item=item, evaluator=user, state="leased")
        .values_list("leased_until", flat=True)
        .first()
    )
    return {
        "id": item.pk,
        "step": item.step,
        "reason": item.reason,
        "lease_expires_at": lease,
        "input": item_input(item, absolute),
        "output": {
            "text": run.output_text,
            "data": run.output_data,
            "image": _url(absolute, run.output_image.url if run.output_image else None),
        },
        "auto": {
            "score": run.score,
            "threshold": run.threshold,
            "metrics": run.metrics,
            "hints": run.hints,
        },
        "criteria": Criterion.objects.filter(step=item.step, active=True),
    }


def content_language(item: ReviewItem) -> str:
    """ "zh" when the deck's outline is Chinese, else "en": the lang of the content shown."""
    return "zh" if CJK.search(item.step_run.batch.outline) else "en"


def metric_rows(metrics: dict) -> list[tuple[str, str]]:
    """The metrics other than the OCR boxes (shown as a diff table): (name, value as text)."""
    return [(name, _metric_text(value)) for name, value in metrics.items() if name != "ocr_boxes"]


def _metric_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
