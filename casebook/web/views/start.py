"""Each role's start page: where "/" and a fresh sign-in lead."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.roles import Role, role_of

START_PAGES = {
    Role.CASEWORKER: "casebook:case_list",
    Role.SUPERVISOR: "casebook:case_list",
    Role.AUDITOR: "casebook:access_log",
    Role.ADMINISTRATOR: "casebook:people_list",
}


def start(request: HttpRequest) -> HttpResponse:
    """Signed out: the sign-in page. Signed in: the role's own start page, so that no one
    lands on a page their role may not use (which would record a denial about them)."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = role_of(request.user)
    if role is None:
        return render(request, "casebook/no_role.html")
    return redirect(START_PAGES[role])
