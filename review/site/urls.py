"""The review site for evaluators (Django templates): queue, keyboard-first item page, stats."""

from django.contrib.auth import views as auth_views
from django.urls import path

from config.signin import ThrottledAuthenticationForm, throttled_signin_view
from review.site import stats_views, views

app_name = "review_ui"

urlpatterns = [
    path("", views.queue, name="queue"),
    path(
        "login/",
        throttled_signin_view(
            auth_views.LoginView.as_view(
                template_name="review/login.html",
                authentication_form=ThrottledAuthenticationForm,
                next_page="review_ui:queue",
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="review_ui:login"), name="logout"),
    path("next/", views.next_item, name="next"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/skip/", views.skip, name="skip"),
    path("stats/", stats_views.stats_page, name="stats"),
    path("stats/calibrate/", stats_views.calibrate, name="calibrate"),
]
