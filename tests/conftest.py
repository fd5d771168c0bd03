import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
