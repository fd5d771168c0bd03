"""A batch's or page's status as a word in the reader's language, for the refusals that name
it ("the batch is cancelled"). English keeps the stored value, so API clients read the same
words as in the `status` field; Chinese gets a word instead of the raw value."""

from django.utils.translation import pgettext_lazy

STATUS_WORDS = {
    "pending": pgettext_lazy("status word", "pending"),
    "planning": pgettext_lazy("status word", "planning"),
    "awaiting_approval": pgettext_lazy("status word", "awaiting_approval"),
    "running": pgettext_lazy("status word", "running"),
    "completed": pgettext_lazy("status word", "completed"),
    "partial": pgettext_lazy("status word", "partial"),
    "failed": pgettext_lazy("status word", "failed"),
    "cancelled": pgettext_lazy("status word", "cancelled"),
    "held": pgettext_lazy("status word", "held"),
}


def status_word(status: str) -> str:
    """The status in the active language; a value not known here as it is stored."""
    return str(STATUS_WORDS.get(status, status))
