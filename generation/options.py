"""A batch's options: one frozen type, its rules and its stored shape.

`BatchOptions.parse` checks what a request (API, admin, CLI) asks for; the batch stores
`as_json()`, and `Batch.opts` reads it back. The API's schema, the admin's form and the CLI take
their choices from the constants here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext as _

from generation.errors import InvalidInput
from generation.providers.registry import image_provider, text_provider
from generation.slides import SUPPORTED_SIZES, parse_size

SIZES = tuple(f"{width}x{height}" for width, height in SUPPORTED_SIZES)
QUALITIES = ("standard", "hd")
LANGUAGES = ("auto", "zh", "en")
# How the render calls go out: one call each while the page waits ("interactive"), or
# gathered into Gemini Batch API jobs at half the price, the pages waiting without a worker.
DELIVERIES = ("interactive", "batch")
BATCH_DELIVERY_PROVIDERS = ("gemini",)
# Where a batch stops for someone to approve before going on: "" (nowhere), or after planning,
# before any image is paid for.
PAUSES = ("", "plan")
# Hedging duplicates a slow call that answers in the call; kie's calls return at once and
# answer later by webhook, so there is nothing to hedge.
UNHEDGEABLE_PROVIDERS = ("kie",)
MAX_BUDGET_USD = 1_000_000
TEXT_OPTIONS = (
    "size",
    "quality",
    "language",
    "provider",
    "model",
    "text_provider",
    "delivery",
    "pause_after",
)
BOOLEAN_OPTIONS = ("fresh", "ending", "hedge")
KNOWN_OPTIONS = {*TEXT_OPTIONS, *BOOLEAN_OPTIONS, "budget_usd"}
SIZE_PATTERN = re.compile(r"[0-9]{1,5}x[0-9]{1,5}", re.ASCII)


@dataclass(frozen=True)
class BatchOptions:
    """What a batch asks for; the defaults are filled in by `from_stored`."""

    size: str
    quality: str
    language: str
    provider: str  # image provider
    text_provider: str
    model: str  # empty: the provider's default image model
    fresh: bool  # never reuse a stored image of an identical request
    budget_usd: float | None  # stop new provider calls once the estimated spend reaches it
    delivery: str = "interactive"  # "batch": render calls go to Gemini's Batch API
    pause_after: str = ""  # "plan": wait for approval once the pages are planned
    ending: bool = True  # a closing page (thanks, the sections in brief) ends the deck
    hedge: bool = False  # a slow render call gets one duplicate; the first good answer wins

    @classmethod
    def parse(cls, options: dict | None) -> BatchOptions:
        """Validate and complete the options a request gives; errors name the option."""
        options = dict(options or {})
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            raise InvalidInput(
                f"unknown option(s): {', '.join(unknown)}", details={"options": unknown}
            )
        _check_types(options)
        parsed = cls.from_stored(options)
        if options.get("hedge") is None:  # the provider's default (HEDGE_PROVIDERS)
            default = parsed.provider in settings.NANODECK["HEDGE_PROVIDERS"]
            parsed = replace(parsed, hedge=default and parsed.hedgeable)
        cls._check_values(parsed)
        return parsed

    @classmethod
    def from_stored(cls, data: dict) -> BatchOptions:
        """The options with the defaults filled in, unchecked: what a batch stored was checked
        when it was created, and its providers are not looked up again, so a batch still reads
        after a provider's key is removed."""
        config = settings.NANODECK
        budget = data.get("budget_usd")
        return cls(
            size=data.get("size") or config["DEFAULT_SIZE"],
            quality=data.get("quality") or "standard",
            language=data.get("language") or "auto",
            provider=data.get("provider") or config["DEFAULT_PROVIDER"],
            text_provider=data.get("text_provider") or "local",
            model=data.get("model") or "",
            fresh=bool(data.get("fresh")),
            budget_usd=None if budget is None else float(budget),
            delivery=data.get("delivery") or "interactive",
            pause_after=data.get("pause_after") or "",
            ending=data.get("ending") is not False,
            hedge=bool(data.get("hedge")),
        )

    def as_json(self) -> dict:
        """The stored (and API) shape: every text option, then `fresh`, `budget_usd`, `model`,
        `delivery`, `pause_after`, `ending` and `hedge` only when set (delivery and ending:
        when they are not the default)."""
        result = {
            "size": self.size,
            "quality": self.quality,
            "language": self.language,
            "provider": self.provider,
            "text_provider": self.text_provider,
        }
        if self.fresh:
            result["fresh"] = True
        if self.budget_usd is not None:
            result["budget_usd"] = self.budget_usd
        if self.model:
            result["model"] = self.model
        if self.delivery != "interactive":
            result["delivery"] = self.delivery
        if self.pause_after:
            result["pause_after"] = self.pause_after
        if not self.ending:
            result["ending"] = False
        if self.hedge:
            result["hedge"] = True
        return result

    @property
    def hedgeable(self) -> bool:
        """Whether this batch's render calls can be hedged (they answer in the call)."""
        return self.delivery == "interactive" and self.provider not in UNHEDGEABLE_PROVIDERS

    @property
    def dimensions(self) -> tuple[int, int]:
        width, height = self.size.split("x")
        return int(width), int(height)

    def _check_values(self) -> None:
        try:
            parse_size(self.size)
        except ValueError as exc:
            raise InvalidInput(str(exc), details={"size": self.size}) from None
        for key, allowed in (
            ("quality", QUALITIES),
            ("language", LANGUAGES),
            ("delivery", DELIVERIES),
            ("pause_after", PAUSES),
        ):
            if getattr(self, key) not in allowed:
                raise InvalidInput(
                    f"{key} must be one of {', '.join(filter(None, allowed))}",
                    details={key: getattr(self, key)},
                )
        for key, choose in (("provider", image_provider), ("text_provider", text_provider)):
            try:
                choose(getattr(self, key))
            except InvalidInput as exc:
                raise InvalidInput(
                    f"{key}: {exc.message}", details={key: getattr(self, key)}
                ) from None
        if self.model:
            try:
                image_provider(self.provider, self.model)
            except InvalidInput as exc:
                raise InvalidInput(exc.message, details={"model": self.model}) from None
        if self.delivery == "batch" and self.provider not in BATCH_DELIVERY_PROVIDERS:
            raise InvalidInput(
                _(
                    "delivery 'batch' uses Gemini's Batch API and works only with the provider "
                    "%(providers)s; this batch's provider is '%(provider)s' "
                    "(choose provider gemini, or delivery interactive)"
                )
                % {"providers": ", ".join(BATCH_DELIVERY_PROVIDERS), "provider": self.provider},
                details={"delivery": self.delivery},
            )
        if self.hedge and not self.hedgeable:
            raise InvalidInput(
                _(
                    "hedge duplicates slow calls that answer in the call; provider "
                    "'%(provider)s' with delivery '%(delivery)s' answers later "
                    "(use delivery interactive with another provider than "
                    "%(providers)s, or hedge false)"
                )
                % {
                    "provider": self.provider,
                    "delivery": self.delivery,
                    "providers": ", ".join(UNHEDGEABLE_PROVIDERS),
                },
                details={"hedge": self.hedge},
            )


def _check_types(options: dict) -> None:
    """Refuse by name what JSON can say but no option means: a list for a provider, 1 for
    true, a budget no float holds (1e999 parses as infinity, a 400-digit integer overflows)."""
    for key in TEXT_OPTIONS:
        if options.get(key) is not None and not isinstance(options[key], str):
            raise InvalidInput(f"{key} must be a string", details={key: "not a string"})
    for key in BOOLEAN_OPTIONS:
        if options.get(key) is not None and not isinstance(options[key], bool):
            raise InvalidInput(f"{key} must be true or false", details={key: "not a boolean"})
    budget = options.get("budget_usd")
    if budget is not None and (
        isinstance(budget, bool)
        or not isinstance(budget, int | float)
        or not 0 <= budget <= MAX_BUDGET_USD  # also false for NaN and infinities
    ):
        raise InvalidInput(
            _("budget_usd must be a number from 0 to %(limit)s (US dollars)")
            % {"limit": f"{MAX_BUDGET_USD:,}"},
            details={"budget_usd": "out of range"},
        )
    size = options.get("size")
    if size and not SIZE_PATTERN.fullmatch(size):
        raise InvalidInput(
            f"size must look like 1536x864 (supported: {', '.join(SIZES)})", details={"size": size}
        )
