"""Outlines drafted by a text model from a one-line brief, for a person to edit and then send
as a batch's outline. Nothing is stored: the draft is the answer."""

from __future__ import annotations

from django.utils.translation import gettext as _

from generation.errors import InvalidInput, ProviderRefused, ProviderUnavailable, ProviderWaiting
from generation.providers.base import ProviderError
from generation.providers.gate import call_provider
from generation.providers.registry import text_provider
from generation.providers.textprompts import ModelPlanning


def outline_draft(
    *, brief: str, language: str = "auto", pages: int | None = None, provider: str = "local"
) -> str:
    """Markdown outline for `brief` from `provider`'s text model, read back by the outline
    parser. InvalidInput for a provider without a text model that writes (the local one),
    ProviderUnavailable / ProviderRefused when the model cannot answer now / at all."""
    try:
        model = text_provider(provider)
    except InvalidInput as exc:
        raise InvalidInput(
            f"text_provider: {exc.message}", details={"text_provider": provider}
        ) from None
    if not isinstance(model, ModelPlanning):
        raise InvalidInput(
            _(
                "turning a brief into an outline needs a text model: choose a text_provider such "
                "as gemini or openai ('%(provider)s' structures outlines people write, "
                "it writes none)"
            )
            % {"provider": provider},
            details={"text_provider": provider},
        )
    try:
        return call_provider(
            model.name,
            lambda: model.draft_outline(brief, language=language, pages=pages),
            holder="outline-draft",
            checkpoint=lambda: None,
        )
    except ProviderWaiting:
        raise ProviderUnavailable(
            _("%(provider)s is not answering for now (its circuit is open); try again later")
            % {"provider": provider},
            details={"text_provider": provider},
        ) from None
    except ProviderError as exc:
        error = ProviderUnavailable if exc.retryable else ProviderRefused
        raise error(f"{provider}: {exc.message}", details={"text_provider": provider}) from None
