from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from casebook.views import mfa

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="casebook:case_list", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/mfa/verify/", mfa.mfa_verify, name="mfa_verify"),
    path("accounts/mfa/setup/", mfa.mfa_setup, name="mfa_setup"),
    path("accounts/password/", mfa.CasebookPasswordChangeView.as_view(), name="password_change"),
    path("admin/", admin.site.urls),
    path("", include("casebook.urls")),
]
