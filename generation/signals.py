"""The engine's one outward signal: attempts that want human eyes. `review` listens; generation
never imports review (DESIGN §2)."""

from django.dispatch import Signal

# Sent after the round's transaction commits, with `runs` (StepRuns), `reason`
# ("below_threshold" | "sampled" | "requested" | "flagged"), `held` (the page waits for
# people) and, for flagged pages, `note` (what the person who flagged it saw).
attempts_for_review = Signal()
