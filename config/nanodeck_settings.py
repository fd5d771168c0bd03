"""The project's own settings, `settings.NANODECK`: defaults and limits of decks, the workers'
leases, providers' concurrency, rates and circuit breaker, prices, review, calibration, uploads,
retention, the benchmark provider, hedged calls and live progress. Each is read from the
environment variable of the same name (README "Configuration")."""

from config.env import env_bool, env_float, env_int, env_json, env_list, env_map_int, env_str

NANODECK = {
    "DEFAULT_PROVIDER": env_str("DEFAULT_PROVIDER") or "local",
    "DEFAULT_SIZE": env_str("DEFAULT_SIZE") or "1536x864",
    "MAX_OUTLINE_CHARS": env_int("MAX_OUTLINE_CHARS", 20000, minimum=100),
    "MAX_PAGES_PER_BATCH": env_int("MAX_PAGES_PER_BATCH", 60, minimum=3),
    "OCR_ENABLED": env_bool("OCR_ENABLED", default=True),
    "OCR_LANGUAGES": env_str("OCR_LANGUAGES") or "chi_sim+eng",
    # The tesseract library the OCR check loads (a file name the loader finds, or a path).
    "TESSERACT_LIBRARY": env_str("TESSERACT_LIBRARY") or "libtesseract.so.5",
    # Workers: a page lease lasts this long and is renewed before every attempt.
    "PAGE_LEASE_SECONDS": env_int("PAGE_LEASE_SECONDS", 300, minimum=2),
    # The sweeper re-queues pending pages whose task has not started after this long.
    "REQUEUE_AFTER_SECONDS": env_int("REQUEUE_AFTER_SECONDS", 600, minimum=1),
    # On SIGTERM a worker gives the page in hand this long to finish, then hands it back.
    "WORKER_STOP_GRACE_SECONDS": env_int("WORKER_STOP_GRACE_SECONDS", 5, minimum=0),
    # Calls in flight per provider, across all workers: "local=5,gemini=5"; others default to 5.
    "PROVIDER_CONCURRENCY": env_map_int("PROVIDER_CONCURRENCY", {}),
    "DEFAULT_PROVIDER_CONCURRENCY": env_int("DEFAULT_PROVIDER_CONCURRENCY", 5, minimum=1),
    # Transient provider errors: waits between tries (seconds), separate from quality retries.
    "TRANSIENT_BACKOFF": [float(x) for x in env_list("TRANSIENT_BACKOFF", ["1", "2", "5"])],
    # Requests per minute per provider across all workers: "gemini=10"; unset means no limit.
    "PROVIDER_RPM": env_map_int("PROVIDER_RPM", {}),
    "RATE_WINDOW_SECONDS": env_int("RATE_WINDOW_SECONDS", 60, minimum=1),
    # Circuit breaker: after this many consecutive transient failures calls wait this long.
    "CIRCUIT_FAILURES": env_int("CIRCUIT_FAILURES", 5, minimum=1),
    "CIRCUIT_COOLDOWN_SECONDS": env_int("CIRCUIT_COOLDOWN_SECONDS", 30, minimum=1),
    # Price overrides, JSON: {"model": {"image_1K": 0.1, "image_2K": 0.1, "image_4K": 0.2,
    # "input_image": 0.001, "input_mtok": 0.3, "output_mtok": 2.5}} (USD);
    # see generation/providers/pricing.py.
    "PRICE_TABLE": env_json("PRICE_TABLE_JSON", {}),
    # Asynchronous providers (kie): poll a task with no webhook after this long; a waiting page
    # is re-queued after ASYNC_WAIT_SECONDS even if neither webhook nor poll has answered.
    "ASYNC_POLL_AFTER_SECONDS": env_int("ASYNC_POLL_AFTER_SECONDS", 60, minimum=1),
    "ASYNC_WAIT_SECONDS": env_int("ASYNC_WAIT_SECONDS", 900, minimum=10),
    # Gemini Batch API (options.delivery = "batch"): a render request waits this long for
    # others of its batch before the collector sends them together in one job.
    "GEMINI_BATCH_GATHER_SECONDS": env_int("GEMINI_BATCH_GATHER_SECONDS", 30, minimum=0),
    # Human review: how long a review item stays leased to the evaluator who opened it.
    "REVIEW_LEASE_SECONDS": env_int("REVIEW_LEASE_SECONDS", 900, minimum=60),
    # Calibration moves a step's threshold only with this many evaluated outputs and when
    # Cohen's kappa against the human verdicts rises by at least the gain.
    "CALIBRATION_MIN_SAMPLES": env_int("CALIBRATION_MIN_SAMPLES", 30, minimum=5),
    "CALIBRATION_MIN_GAIN": env_float("CALIBRATION_MIN_GAIN", 0.05, minimum=0.0),
    # Template reference images: uploads over these caps are refused from their header (before
    # decoding); what is stored is downscaled so that its long side is at most MAX_SIDE.
    "TEMPLATE_IMAGE_MAX_BYTES": env_int("TEMPLATE_IMAGE_MAX_BYTES", 10_000_000, minimum=10_000),
    "TEMPLATE_IMAGE_MAX_PIXELS": env_int("TEMPLATE_IMAGE_MAX_PIXELS", 40_000_000, minimum=65_536),
    "TEMPLATE_IMAGE_MAX_SIDE": env_int("TEMPLATE_IMAGE_MAX_SIDE", 2048, minimum=256),
    # Uploads (POST /api/v1/uploads/): caps checked from the header before decoding, and the
    # hours an upload no image or batch has used is kept before the daily cleanup deletes it.
    "UPLOAD_MAX_BYTES": env_int("UPLOAD_MAX_BYTES", 10_000_000, minimum=10_000),
    "UPLOAD_MAX_PIXELS": env_int("UPLOAD_MAX_PIXELS", 40_000_000, minimum=65_536),
    "UPLOAD_TTL_HOURS": env_int("UPLOAD_TTL_HOURS", 24, minimum=1),
    "IDEMPOTENCY_TTL_HOURS": env_int("IDEMPOTENCY_TTL_HOURS", 24, minimum=1),
    # Finished batches (with their files) and the task queue's history are deleted this many
    # days after they finished, by the daily cleanup; 0 keeps them forever.
    "RETENTION_DAYS": env_int("RETENTION_DAYS", 30, minimum=0),
    "BENCHMARK_PROVIDERS": env_bool("BENCHMARK_PROVIDERS", default=False),
    # The benchmark provider's delay: log-normal with this median and p95 (a p95 equal to the
    # median: always the median), a share of stuck calls that take FACTOR times longer, and
    # the seed of its draws.
    "LATENCY_PROVIDER_SECONDS": env_float("LATENCY_PROVIDER_SECONDS", 0.5),
    "LATENCY_PROVIDER_P95": env_float("LATENCY_PROVIDER_P95", 0.0),
    "LATENCY_PROVIDER_STUCK_RATE": env_float("LATENCY_PROVIDER_STUCK_RATE", 0.0),
    "LATENCY_PROVIDER_STUCK_FACTOR": env_float("LATENCY_PROVIDER_STUCK_FACTOR", 10.0, minimum=1.0),
    "LATENCY_PROVIDER_SEED": env_str("LATENCY_PROVIDER_SEED") or "0",
    # Hedged image calls (options.hedge): providers whose batches hedge unless they say not to;
    # the quantile of the provider's recent call times after which a duplicate call starts,
    # over its last HEDGE_HISTORY successful calls; with fewer than HEDGE_MIN_HISTORY of them
    # the duplicate starts after HEDGE_PRIOR_SECONDS instead.
    "HEDGE_PROVIDERS": env_list("HEDGE_PROVIDERS", []),
    "HEDGE_QUANTILE": env_float("HEDGE_QUANTILE", 0.9, minimum=0.5),
    "HEDGE_HISTORY": env_int("HEDGE_HISTORY", 100, minimum=10),
    "HEDGE_MIN_HISTORY": env_int("HEDGE_MIN_HISTORY", 20, minimum=1),
    "HEDGE_PRIOR_SECONDS": env_float("HEDGE_PRIOR_SECONDS", 45.0, minimum=0.01),
    # Live progress (README "Live progress"): a comment line on an idle event stream this often;
    # how often a batch's stream looks at the database for changes without Redis, and with
    # Redis (which wakes it at once) in case a change was written without a message.
    "EVENTS_HEARTBEAT_SECONDS": env_float("EVENTS_HEARTBEAT_SECONDS", 15.0, minimum=0.01),
    "EVENTS_POLL_SECONDS": env_float("EVENTS_POLL_SECONDS", 0.5, minimum=0.01),
    "EVENTS_REDIS_POLL_SECONDS": env_float("EVENTS_REDIS_POLL_SECONDS", 5.0, minimum=0.01),
}
