from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from generation.signals import attempts_for_review
        from review.receivers import queue_for_review

        attempts_for_review.connect(queue_for_review, dispatch_uid="review.queue_for_review")
