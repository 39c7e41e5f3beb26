from django.urls import path

from sessions import chair_views, group_views, ledger_views, views

app_name = "sessions"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("patients/<int:patient_pk>/courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/stop/", views.course_stop, name="course_stop"),
    path("<int:pk>/", chair_views.session_detail, name="session_detail"),
    path("<int:pk>/visit/", views.session_link_appointment, name="session_link_appointment"),
    path("<int:pk>/checklist/", chair_views.checklist_update, name="checklist_update"),
    path("<int:pk>/checklist/override/", chair_views.checklist_override, name="checklist_override"),
    path("<int:pk>/vitals/", chair_views.vitals_add, name="vitals_add"),
    path("<int:pk>/vitals/live/", chair_views.vitals_live, name="vitals_live"),
    path("<int:pk>/screens/review/", chair_views.screens_review, name="screens_review"),
    path("vitals/<int:pk>/action/", chair_views.alert_acknowledge, name="alert_acknowledge"),
    path("vitals/<int:pk>/acknowledge/", chair_views.hold_acknowledge, name="hold_acknowledge"),
    path("<int:pk>/dose/preview/", chair_views.dose_preview, name="dose_preview"),
    path("<int:pk>/dose/", chair_views.dose_record, name="dose_record"),
    path("<int:pk>/dose/end/", chair_views.dose_end, name="dose_end"),
    path("<int:pk>/events/", chair_views.adverse_event_add, name="adverse_event_add"),
    path("<int:pk>/cadss/", views.cadss_record, name="cadss_record"),
    path("<int:pk>/discharge/", chair_views.discharge, name="discharge"),
    path("<int:pk>/abort/", views.session_abort, name="session_abort"),
    path("<int:pk>/note/", views.note_save, name="note_save"),
    path("<int:pk>/addenda/", views.addendum_add, name="addendum_add"),
    path("<int:pk>/integration/new/", views.follow_up_create, name="follow_up_create"),
    path("groups/<int:meeting_pk>/note/", group_views.group_note, name="group_note"),
    path("groups/<int:meeting_pk>/note/sign/", group_views.group_note_sign, name="group_note_sign"),
    path(
        "groups/<int:meeting_pk>/note/addenda/",
        group_views.group_note_addendum,
        name="group_note_addendum",
    ),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("ledger/inventory/", views.inventory, name="inventory"),
    path("ledger/lots/<int:pk>/destroy/", ledger_views.lot_destroy, name="lot_destroy"),
    path(
        "ledger/discrepancies/<int:pk>/",
        ledger_views.discrepancy_detail,
        name="discrepancy_detail",
    ),
    path("ledger/inventories/", ledger_views.inventories, name="inventories"),
    path("ledger/inventories/new/", ledger_views.inventory_take, name="inventory_take"),
    path("ledger/inventories/<int:pk>/", ledger_views.inventory_detail, name="inventory_detail"),
    path("ledger/report/", ledger_views.report, name="ledger_report"),
    path(
        "ledger/report/<str:part>.csv",
        ledger_views.report_csv,
        name="ledger_report_csv",
    ),
]
