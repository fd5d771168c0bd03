from django.urls import path

from review.api.views import CalibrateView, EvaluationCreateView, NextItemView, SkipView, StatsView

app_name = "review"

urlpatterns = [
    path("next/", NextItemView.as_view(), name="next"),
    path("items/<int:pk>/evaluations/", EvaluationCreateView.as_view(), name="evaluation-create"),
    path("items/<int:pk>/skip/", SkipView.as_view(), name="skip"),
    path("stats/", StatsView.as_view(), name="stats"),
    path("calibrate/", CalibrateView.as_view(), name="calibrate"),
]
