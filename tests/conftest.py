import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no throttling state left by another."""
    cache.clear()
    yield
    cache.clear()
