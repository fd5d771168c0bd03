"""Reading the API's one error shape in tests."""


def error_of(response, status: int) -> dict:
    """The `error` object of a response that must have `status`, in JSON."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]
