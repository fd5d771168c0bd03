import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from generation.models import Page, StepRun
from generation.services.batches import batch_create
from review.models import Evaluation, ReviewItem
from templates_app.models import SlideTemplate

EN_OUTLINE = """# Remote Work Playbook
How distributed teams ship

## Foundations
### Why remote works
- Focus time: fewer interruptions
- Hiring: talent anywhere
- Costs: smaller offices

### Tools compared
- Chat vs email
- Video calls vs documents

## Practice
### Onboarding steps
- Step 1: laptop and accounts
- Step 2: buddy and first task
- Step 3: first release
"""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("pw-for-tests-only")


class SlideTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlideTemplate

    slug = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Template {n}")
    style = "flat, clean"
    palette = ["#ffffff", "#1f3a5f", "#e07a24", "#1b2430", "#6b7280"]
    fonts = {"title": "Noto Sans CJK SC", "body": "Noto Sans CJK SC"}
    reference_image = factory.django.ImageField(width=320, height=180, color="#dfe7f2")
    recommended_for = ["business"]


def make_batch(*, outline: str = EN_OUTLINE, template: SlideTemplate | None = None, **kwargs):
    return batch_create(template=template or SlideTemplateFactory(), outline=outline, **kwargs)


RENDER_SCORES = {
    "text_legibility": 8,
    "layout": 6,
    "template_consistency": 7,
    "artifact_absence": 9,
    "relevance": 5,
}


def make_review_items(
    count: int, *, scores: list[float] | None = None, overlap: int = 1
) -> list[ReviewItem]:
    batch = make_batch()
    items = []
    for n in range(count):
        page = Page.objects.create(
            batch=batch,
            index=n + 1,
            kind="content",
            title=f"Page {n + 1}",
            description=f"Describe page {n + 1}",
            plan={"title": f"Page {n + 1}"},
        )
        run = StepRun.objects.create(
            batch=batch,
            page=page,
            step="render",
            attempt=1,
            threshold=7,
            score=(scores or [5.0] * count)[n],
            metrics={"ocr": 0.5},
            hints=["crowded"],
            started_at=timezone.now(),
        )
        items.append(
            ReviewItem.objects.create(
                step_run=run, step="render", reason="below_threshold", evaluations_wanted=overlap
            )
        )
    return items


# 0.0, 0.25, ..., 9.75: people accept exactly the outputs scored 6.5 or more.
CALIBRATION_AUTOS = [i * 0.25 for i in range(40)]


def make_judged_runs(
    autos: list[float],
    *,
    evaluator=None,
    batch=None,
    accept_from: float = 6.5,
    seconds_spent: int = 0,
) -> list[StepRun]:
    """Render attempts with the given auto scores, each judged once: overall 8 and accept from
    `accept_from` up, overall 3 and reject below, so the best threshold is known."""
    batch = batch or make_batch()
    evaluator = evaluator or UserFactory()
    runs = []
    for attempt, auto in enumerate(autos, start=1):
        run = StepRun.objects.create(
            batch=batch,
            step="render",
            attempt=attempt,
            threshold=7,
            score=auto,
            started_at=timezone.now(),
        )
        accepted = auto >= accept_from
        Evaluation.objects.create(
            step_run=run,
            evaluator=evaluator,
            overall=8 if accepted else 3,
            verdict="accept" if accepted else "reject",
            seconds_spent=seconds_spent,
        )
        runs.append(run)
    return runs
