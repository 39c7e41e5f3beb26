from django.apps import AppConfig


class KapClinicConfig(AppConfig):
    name = "kap_clinic"
    verbose_name = "KAP Clinic"
