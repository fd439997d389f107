import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no throttling state left by another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: the language a request ran in (Django's
    LocaleMiddleware activates it and leaves it active) otherwise stays with the thread,
    and a test that draws a form outside any request after one in Korean drew Korean."""
    yield
    translation.deactivate()
