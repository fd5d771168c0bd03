"""The review site's stats page: figures, plots, and the staff's calibration button."""

import base64
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from generation.models import Batch, StepPolicy
from review.calibration import calibration_report
from review.models import Assignment, Evaluation, ThresholdChange
from review.services import review_next, review_skip
from tests.factories import (
    CALIBRATION_AUTOS,
    UserFactory,
    make_batch,
    make_judged_runs,
    make_review_items,
)

pytestmark = pytest.mark.django_db

STATS = reverse("review_ui:stats")
CALIBRATE = reverse("review_ui:calibrate")
# 0.0, 0.25, ..., 9.75: people accept exactly the outputs scored 6.5 or more.


def make_evaluator(**fields):
    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def evaluator():
    return make_evaluator(username="王小明")


@pytest.fixture
def staff():
    return UserFactory(username="lead", is_staff=True)


@pytest.fixture
def batch() -> Batch:
    return make_batch()


def threshold() -> float:
    return StepPolicy.objects.get(step="render").threshold


@pytest.fixture
def evidence(batch, evaluator):
    """40 evaluated runs, best separated at 6.5, under a threshold of 8."""
    StepPolicy.objects.filter(step="render").update(threshold=8)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch, evaluator=evaluator, seconds_spent=45)


def cell(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return html[start : html.index("<", start)]


def plots_of(html: str) -> list[str]:
    """The SVG text of every plot, shown as a data: image (the page itself has no inline SVG)."""
    sources = re.findall(
        r'<figure><img class="plot" src="data:image/svg\+xml;base64,([^"]+)"', html
    )
    return [base64.b64decode(source).decode() for source in sources]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_evaluator_sees_the_figures_and_five_plots(evidence, evaluator):
    response = client_for(evaluator).get(STATS, {"step": "render"})

    assert response.status_code == 200
    html = response.content.decode()
    assert cell(html, "calibration-n") == "40"
    assert (cell(html, "threshold-current"), cell(html, "threshold-suggested")) == ("8.0", "6.5")
    assert cell(html, "kappa-suggested") == "1.00"
    assert cell(html, "balanced-accuracy") == "1.00"
    plots = plots_of(html)
    assert len(plots) == 5
    assert all(plot.startswith("<svg") for plot in plots)
    assert "王小明" in html  # the throughput table
    assert "王小明" in plots[3]  # and its plot
    assert "Apply calibration" not in html
    assert CALIBRATE not in html


def test_staff_see_the_calibration_button(evidence, staff):
    html = client_for(staff).get(STATS).content.decode()

    assert 'aria-current="page">render<' in html  # render is the default step
    assert "Apply calibration" in html
    assert f'action="{CALIBRATE}"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_step_without_evaluations_shows_empty_plots(evaluator):
    response = client_for(evaluator).get(STATS, {"step": "describe"})

    html = response.content.decode()
    assert response.status_code == 200
    plots = plots_of(html)
    assert len(plots) == 5
    assert "No evaluations yet" in plots[0]
    assert cell(html, "kappa-current") == "n/a"


def test_an_unknown_step_is_a_400_page_that_says_so(evaluator):
    response = client_for(evaluator).get(STATS, {"step": "nope"})

    assert response.status_code == 400
    assert "Unknown step &#x27;nope&#x27;" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get(STATS)

    assert response.status_code == 302
    assert response.url.startswith(reverse("review_ui:login"))


def test_signed_in_non_evaluators_get_403():
    assert client_for(UserFactory()).get(STATS).status_code == 403


def test_staff_apply_a_calibration_and_are_told_what_changed(evidence, staff):
    kappa_before = calibration_report(step="render")["kappa_current"]

    response = client_for(staff).post(CALIBRATE, {"step": "render"}, follow=True)

    assert response.redirect_chain == [(f"{STATS}?step=render", 302)]
    assert threshold() == 6.5
    change = ThresholdChange.objects.get()
    assert (change.old, change.new, change.reason, change.author) == (8, 6.5, "calibration", staff)
    assert messages_of(response) == [
        f"render threshold 8 → 6.5 (kappa {kappa_before:.2f} → 1.00, n=40)"
    ]


def test_with_too_few_samples_nothing_changes_and_the_message_says_why(batch, evaluator, staff):
    StepPolicy.objects.filter(step="render").update(threshold=8)
    make_judged_runs(CALIBRATION_AUTOS[20:], batch=batch, evaluator=evaluator, seconds_spent=45)

    response = client_for(staff).post(f"{CALIBRATE}?step=render", follow=True)

    assert threshold() == 8
    assert not ThresholdChange.objects.exists()
    assert messages_of(response) == [
        "render threshold unchanged: not enough samples (20 of 30 needed)."
    ]


def test_a_small_gain_changes_nothing_and_the_message_says_why(batch, evaluator, staff):
    StepPolicy.objects.filter(step="render").update(threshold=6.5)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch, evaluator=evaluator, seconds_spent=45)

    response = client_for(staff).post(CALIBRATE, {"step": "render"}, follow=True)

    assert threshold() == 6.5
    assert messages_of(response) == [
        "render threshold unchanged: 6.5 is already the best threshold (kappa 1.00)."
    ]


def test_evaluators_who_are_not_staff_may_not_calibrate(evidence, evaluator):
    response = client_for(evaluator).post(CALIBRATE, {"step": "render"})

    assert response.status_code == 403
    assert threshold() == 8
    assert not ThresholdChange.objects.exists()


def test_anonymous_calibration_goes_to_the_login_page(evidence):
    response = Client().post(CALIBRATE, {"step": "render"})

    assert response.status_code == 302
    assert threshold() == 8


def test_calibrate_answers_405_to_get(staff):
    assert client_for(staff).get(CALIBRATE, {"step": "render"}).status_code == 405


def test_calibrating_an_unknown_step_is_a_400(staff):
    response = client_for(staff).post(CALIBRATE, {"step": "finish"})

    assert response.status_code == 400
    assert not ThresholdChange.objects.exists()


def colleagues_open_item(colleague, viewer):
    """A render item wanting two evaluations: the colleague has scored it 2 (auto 9.5) and the
    viewer holds the lease for the second evaluation."""
    item = make_review_items(1, scores=[9.5], overlap=2)[0]
    Assignment.objects.create(
        item=item, evaluator=colleague, state="submitted", leased_until=timezone.now()
    )
    Evaluation.objects.create(
        step_run=item.step_run, evaluator=colleague, overall=2, verdict="reject"
    )
    assert review_next(evaluator=viewer) == item
    return item


def rejected_count(html: str) -> str:
    return re.search(r"human reject \((\d+)\)", plots_of(html)[0]).group(1)


def test_stats_hide_the_scores_of_items_the_viewer_may_still_judge(evidence, evaluator):
    colleague = make_evaluator(username="colleague")
    item = colleagues_open_item(colleague, evaluator)

    mine = client_for(evaluator).get(STATS, {"step": "render"})
    theirs = client_for(colleague).get(STATS, {"step": "render"})

    points = [point["step_run"] for point in mine.context["dashboard"]["points"]]
    assert item.step_run_id not in points
    assert cell(mine.content.decode(), "calibration-n") == "40"
    assert rejected_count(mine.content.decode()) == "26"
    assert 2 not in mine.context["dashboard"]["overalls"]
    # The colleague has judged it: nothing of theirs is left to hide from them.
    assert item.step_run_id in [
        point["step_run"] for point in theirs.context["dashboard"]["points"]
    ]
    assert cell(theirs.content.decode(), "calibration-n") == "41"
    assert rejected_count(theirs.content.decode()) == "27"


def test_stats_show_an_item_once_the_viewer_can_no_longer_judge_it(evidence, evaluator):
    item = colleagues_open_item(make_evaluator(username="colleague"), evaluator)
    review_skip(item=item, evaluator=evaluator)

    html = client_for(evaluator).get(STATS, {"step": "render"}).content.decode()

    assert cell(html, "calibration-n") == "41"


def test_the_stats_api_hides_them_too(evidence, evaluator):
    colleagues_open_item(make_evaluator(username="colleague"), evaluator)
    api = APIClient()
    api.force_authenticate(evaluator)

    body = api.get("/api/v1/review/stats/", {"step": "render"}).json()

    assert body["calibration"]["n"] == 40
