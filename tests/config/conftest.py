import logging

import pytest


@pytest.fixture
def no_errors_logged(caplog):
    """Nothing at ERROR or above reaches the logs (a 4xx is not our error)."""
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
