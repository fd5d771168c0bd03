"""Who may review: staff, or members of the evaluators group (created by a data migration)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

EVALUATORS_GROUP = "evaluators"


def is_evaluator(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user.groups.filter(name=EVALUATORS_GROUP).exists()
