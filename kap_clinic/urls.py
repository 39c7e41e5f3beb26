from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kap_clinic import views

urlpatterns = [
    path("", views.home, name="home"),
    path("session/keepalive/", views.keepalive, name="keepalive"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/sessions/", views.my_sessions, name="my_sessions"),
    path("accounts/mfa/", views.mfa_setup, name="mfa_setup"),
    path("accounts/mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("audit/access/", views.access_log, name="access_log"),
    path("audit/access.csv", views.access_log_csv, name="access_log_csv"),
    path("patients/", include("patients.urls")),
    path("sessions/", include("sessions.urls")),
    path("records/", include("sessions.records.urls")),
    path("schedule/", include("scheduling.urls")),
    path("admin/", admin.site.urls),
]
