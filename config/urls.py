from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from casebook.web.views import invitation, language, sign_in, start

urlpatterns = [
    path("", start.start, name="start"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(http_method_names=sign_in.FORM_METHODS),
        name="login",
    ),
    path("accounts/logout/", sign_in.CasebookLogoutView.as_view(), name="logout"),
    path("accounts/mfa/verify/", sign_in.mfa_verify, name="mfa_verify"),
    path("accounts/mfa/missing/", sign_in.mfa_missing, name="mfa_missing"),
    path("invitation/", invitation.invitation_accept_page, name="invitation_accept"),
    path("invitation/<str:token>/", invitation.invitation_open, name="invitation_open"),
    path(
        "accounts/password/",
        sign_in.CasebookPasswordChangeView.as_view(),
        name="password_change",
    ),
    path("language/", language.language_set, name="language_set"),
    path("admin/", admin.site.urls),
    path("", include("casebook.urls")),
]

handler400 = "casebook.web.failures.bad_request"
handler403 = "casebook.web.failures.forbidden"
handler404 = "casebook.web.failures.not_found"
handler500 = "casebook.web.failures.server_error"
