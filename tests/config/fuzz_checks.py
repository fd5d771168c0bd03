"""A schemathesis check for the API guard (loaded through `hooks` in schemathesis.toml)."""

import schemathesis


@schemathesis.check
def error_shape(ctx, response, case) -> None:
    """Every 4xx or 5xx under /api/ is {"error": {"code", "message", "details"}}."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), f"not the error shape: {body}"
    assert set(body) == {"error"}, f"not the error shape: {body}"
    assert set(body["error"]) == {"code", "message", "details"}, f"not the error shape: {body}"
    assert isinstance(body["error"]["details"], dict), f"details is not an object: {body}"
