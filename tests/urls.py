"""Every URL the project exposes, as concrete paths to request (shared by the URL tests)."""

import re

from django.urls import URLResolver, get_resolver

SAMPLE = [
    (r"<ref:reference>", None),
    (r"<path:content_type_id>", "1"),
    (r"<path:object_id>", "1"),
    (r"<int:pk>", "1"),
    (r"<int:user_id>", "999999"),
    (r"<str:token>", "no-such-invitation"),
    (r"<id>", "1"),
    (r"^(?P<app_label>", "auth/"),
    (r"(?P<url>.*)$", "no-such-page/"),
]


def routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def concrete(route: str, reference: str) -> str:
    path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "^(?P<app_label>", route)
    for placeholder, value in SAMPLE:
        path = path.replace(placeholder, reference if value is None else value)
    path = path.replace("^", "").replace("$", "")
    assert not re.search(r"[<>()?]", path), f"no sample value for {route}"
    return "/" + path
