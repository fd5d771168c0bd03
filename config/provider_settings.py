"""The remote providers' settings (keys, addresses, models), where providers reach this server,
and how long a provider call may take (README "Configuration", "Providers")."""

from config.env import env_int, env_str

# Remote providers: a provider is configured when its key is set. Keys are read here only,
# never stored in the database and never logged.
PROVIDER_SETTINGS = {
    "gemini": {
        "api_key": env_str("GEMINI_API_KEY"),
        "base_url": env_str("GEMINI_BASE_URL") or "https://generativelanguage.googleapis.com",
        # Current GA models (README "Providers"; generation/providers/gemini_models.py)
        "image_model": env_str("GEMINI_IMAGE_MODEL") or "gemini-3-pro-image",
        "text_model": env_str("GEMINI_TEXT_MODEL") or "gemini-3.8-flash",
    },
    "openai": {
        "api_key": env_str("OPENAI_API_KEY"),
        "base_url": env_str("OPENAI_BASE_URL") or "https://api.openai.com",
        "image_model": env_str("OPENAI_IMAGE_MODEL") or "gpt-image-1",
        "text_model": env_str("OPENAI_TEXT_MODEL") or "gpt-4o-mini",
        # "images" (images/generations and images/edits) or "chat" (gateways that return
        # images from chat/completions)
        "image_api": env_str("OPENAI_IMAGE_API") or "images",
    },
}
PROVIDER_SETTINGS["kie"] = {
    "api_key": env_str("KIE_API_KEY"),
    "base_url": env_str("KIE_BASE_URL") or "https://api.kie.ai",
    "image_model": env_str("KIE_IMAGE_MODEL") or "nano-banana-pro",
    # refines a page's image (docs.kie.ai/market/google/nano-banana-edit)
    "edit_model": env_str("KIE_EDIT_MODEL") or "google/nano-banana-edit",
    # kie's webhookHmacKey (docs.kie.ai/common-api/webhook-verification)
    "webhook_secret": env_str("KIE_WEBHOOK_SECRET"),
}
# Where providers reach this server (webhooks, signed reference-image links).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"
PROVIDER_TIMEOUT_SECONDS = env_int("PROVIDER_TIMEOUT_SECONDS", 120, minimum=5)
