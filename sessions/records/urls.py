"""URLs of records out, included in the sessions app's namespace (``sessions:record_exports``)."""

from django.urls import path

from sessions.records import views

urlpatterns = [
    path("patients/<int:patient_pk>/record-exports/", views.record_exports, name="record_exports"),
    path("record-exports/<int:pk>/", views.record_export_detail, name="record_export_detail"),
    path(
        "record-exports/<int:pk>/download/",
        views.record_export_download,
        name="record_export_download",
    ),
    path("reports/outcomes/", views.outcomes, name="outcomes_report"),
    path("reports/outcomes.csv", views.outcomes_csv, name="outcomes_report_csv"),
    path("reports/research-export/", views.research_export, name="research_export"),
]
