"""URLs of records out (namespace ``records``, mounted at ``/records/``)."""

from django.urls import path

from sessions.records import views

app_name = "records"

urlpatterns = [
    path("patients/<int:patient_pk>/exports/", views.record_exports, name="patient_exports"),
    path("exports/<int:pk>/", views.record_export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.record_export_download, name="export_download"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes.csv", views.outcomes_csv, name="outcomes_csv"),
    path("research-export/", views.research_export, name="research_export"),
]
