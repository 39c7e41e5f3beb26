from django.urls import path

from patients import safety_plan_views, selfreport_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_update, name="update"),
    path("<int:pk>/archive/", views.patient_archive, name="archive"),
    path("<int:pk>/chart/", views.patient_chart, name="chart"),
    path("<int:pk>/status/", views.patient_status, name="status"),
    path("<int:pk>/intake/", views.intake_start, name="intake_start"),
    path("<int:pk>/measures/", views.measure_list, name="measure_list"),
    path("<int:pk>/measures/<slug:code>/new/", views.measure_create, name="measure_create"),
    path("<int:pk>/eligibility/", views.eligibility_create, name="eligibility_create"),
    path("<int:pk>/consent/", views.consent_create, name="consent_create"),
    path("<int:pk>/sms-consent/withdraw/", views.sms_consent_withdraw, name="sms_withdraw"),
    path("intakes/<int:pk>/", views.intake_detail, name="intake_detail"),
    path("intakes/<int:pk>/edit/", views.intake_edit, name="intake_edit"),
    path("intakes/<int:pk>/sign/", views.intake_sign, name="intake_sign"),
    path("intakes/<int:pk>/addenda/", views.intake_addendum, name="intake_addendum"),
    path("measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path("flags/<int:pk>/acknowledge/", views.risk_flag_acknowledge, name="flag_acknowledge"),
    path("consents/<int:pk>/", views.consent_detail, name="consent_detail"),
    path("<int:pk>/safety-plan/", safety_plan_views.safety_plan, name="safety_plan"),
    path("safety-plans/<int:pk>/", safety_plan_views.safety_plan_print, name="safety_plan_print"),
    path(
        "safety-plans/<int:pk>/sign/", safety_plan_views.safety_plan_sign, name="safety_plan_sign"
    ),
    path(
        "consents/<int:pk>/countersign/",
        safety_plan_views.consent_countersign,
        name="consent_countersign",
    ),
    path("checkins/<int:pk>/review/", safety_plan_views.checkin_review, name="checkin_review"),
    # The patient's signed self-report links: no login (the signature and single use are the
    # check). The access test treats every pattern under "patients/r/" as public.
    path("r/<str:token>/", selfreport_views.selfreport_start, name="selfreport_start"),
    path(
        "r/<str:token>/<slug:code>/<slug:key>/",
        selfreport_views.selfreport_item,
        name="selfreport_item",
    ),
]
