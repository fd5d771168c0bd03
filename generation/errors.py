"""One error hierarchy for the service layer; the API and the CLI map it to their own shapes."""


class NanodeckError(Exception):
    """The base of every service error. Each class says what the API answers when one reaches
    a view: `status_code` and `code`. A 4xx is the caller's to fix and a 503 says to try again
    later; both keep their message. The default, 500, marks an error of the pipeline's own (a worker's signal, never a view's):
    reaching a view, it is a bug, logged and answered without its message (config.api)."""

    status_code = 500
    code = "error"

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def api_details(self) -> dict:
        """The error's `details` in the API's shape: each field named with the message."""
        return {field: [self.message] for field in self.details}


class InvalidInput(NanodeckError):
    status_code = 400
    code = "invalid"


class InsufficientCredits(NanodeckError):
    """The work costs more credits than the user has: HTTP 402, nothing stored or queued."""

    status_code = 402
    code = "insufficient_credits"

    def __init__(self, *, needed: int, balance: int) -> None:
        super().__init__(
            f"this needs {needed} credits; you have {balance}",
            details={"needed": needed, "balance": balance},
        )

    def api_details(self) -> dict:
        return dict(self.details)


class StepFailed(NanodeckError):
    """No usable attempt: the page (or the batch, for batch-level steps) fails."""

    code = "step_failed"


class StepHeld(NanodeckError):
    """No attempt passed and the policy says to hold the page for human review."""

    code = "step_held"


class Conflict(NanodeckError):
    """The request clashes with the current state (e.g. regenerating a page being generated)."""

    status_code = 409
    code = "conflict"


class BrokerUnavailable(NanodeckError):
    """The task queue (django-q2's broker) did not answer: nothing that needed it was stored."""

    status_code = 503
    code = "broker_unavailable"


class LeaseLost(NanodeckError):
    """Another worker owns the page now: stop quietly, touch nothing."""

    code = "lease_lost"


class BatchCancelled(NanodeckError):
    code = "cancelled"


class BudgetReached(NanodeckError):
    """The batch's estimated spend reached its budget: no new provider call starts."""

    code = "budget_reached"


class ProviderWaiting(NanodeckError):
    """The provider's circuit is open (or its probe in flight): wait, burn no attempt."""

    code = "waiting_for_provider"

    def __init__(self, provider: str, until) -> None:
        super().__init__(
            f"waiting for provider {provider} (circuit open)", details={"provider": provider}
        )
        self.provider = provider
        self.until = until


class AttemptPending(NanodeckError):
    """An attempt went to an asynchronous provider; the page waits for its webhook or poll."""

    code = "attempt_pending"

    def __init__(self, provider: str, task_id: str) -> None:
        super().__init__(f"waiting for {provider} task {task_id}", details={"provider": provider})
        self.provider = provider
        self.task_id = task_id


class ProviderUnavailable(NanodeckError):
    """A provider called while someone waits (a draft outline) is down, slow or limiting us
    for now: try again later."""

    status_code = 503
    code = "provider_unavailable"


class ProviderRefused(NanodeckError):
    """A provider called while someone waits refused the call or answered nothing usable
    (a bad key, a model that is gone, answers that are not what was asked)."""

    status_code = 502
    code = "provider_error"
