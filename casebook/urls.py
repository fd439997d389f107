"""Casebook's pages by URL: cases, exports, the dashboard, coalition bundles, the
auditor's workspace and the administrator's people pages."""

from django.urls import path, register_converter

from casebook.references import REFERENCE_PATTERN
from casebook.web.views import (
    audit_log,
    break_glass,
    cases,
    coalition,
    dashboard,
    exports,
    memberships,
    people,
    sharing,
)


class ReferenceConverter:
    regex = REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "casebook"
urlpatterns = [
    path("exports/", exports.export_builder, name="export_builder"),
    path("exports/aggregate", exports.aggregate_export, name="aggregate_export"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("coalition/", coalition.coalition_bundles, name="coalition_bundles"),
    path("audit/", audit_log.access_log, name="access_log"),
    path("audit/access-log.csv", audit_log.access_log_csv, name="access_log_csv"),
    path("audit/verify/", audit_log.access_log_verify, name="access_log_verify"),
    path("people/", people.people_list, name="people_list"),
    path("people/invite/", people.person_invite, name="person_invite"),
    path("people/<int:user_id>/", people.person_detail, name="person_detail"),
    path("people/<int:user_id>/invite/", people.person_reinvite, name="person_reinvite"),
    path("people/<int:user_id>/unlock/", people.person_unlock, name="person_unlock"),
    path("people/<int:user_id>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("team/requests/", memberships.membership_requests, name="membership_requests"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_create, name="case_create"),
    path("cases/<ref:reference>/", cases.case_detail, name="case_detail"),
    path("cases/<ref:reference>/edit/", cases.case_edit, name="case_edit"),
    path(
        "cases/<ref:reference>/break-glass/",
        break_glass.case_break_glass,
        name="case_break_glass",
    ),
    path("cases/<ref:reference>/delete/", cases.case_delete, name="case_delete"),
    path("cases/<ref:reference>/sharing/", sharing.case_sharing, name="case_sharing"),
    path("cases/<ref:reference>/sharing/revoke/", sharing.case_revoke, name="case_revoke"),
]
