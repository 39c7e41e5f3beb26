"""factory_boy factories for the patient record. Measures go through ``measure_record`` so a
stored total always comes from ``instruments.score``."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from patients import contraindications, instruments, services
from patients.models import ConsentDocument, Intake, MeasureResult, Patient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Staff"
    last_name = factory.Sequence(lambda n: f"Member{n}")


class PatientFactory(factory.django.DjangoModelFactory):
    """Creates through ``services.patient_create`` so the MRN is assigned as in production."""

    class Meta:
        model = Patient

    legal_first_name = factory.Sequence(lambda n: f"Avery{n}")
    legal_last_name = factory.Sequence(lambda n: f"Quinn{n}")
    date_of_birth = dt.date(1985, 6, 15)
    phone = factory.Sequence(lambda n: f"+1734555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"patient{n}@example.org")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        status = kwargs.pop("status", None)
        by = kwargs.pop("by", None) or UserFactory()
        patient = services.patient_create(by=by, **kwargs)
        if status and status != patient.status:
            # Tests may put a patient anywhere on the path without walking it.
            Patient.objects.filter(pk=patient.pk).update(status=status)
            patient.status = status
        return patient


PHQ9_MODERATE = [2, 2, 1, 1, 1, 1, 1, 1, 0]  # 10, no item 9
GAD7_MILD = [1, 1, 1, 1, 1, 1, 0]  # 6
PCL5_BELOW = [1] * 20  # 20
CSSRS_NONE = {"q1": False, "q2": False, "q6": False}

BASELINE = {"phq9": PHQ9_MODERATE, "gad7": GAD7_MILD, "pcl5": PCL5_BELOW, "cssrs": CSSRS_NONE}


def complete_intake_fields() -> dict[str, object]:
    return {
        "diagnoses": "Major depressive disorder, recurrent",
        "prior_treatments": "Sertraline, escitalopram, bupropion; CBT",
        "failed_antidepressant_trials": 3,
        "hospitalisations": "None",
        "substance_use": "Alcohol socially",
        "medical_history": "None significant",
        "medications": "Bupropion 300 mg",
        "allergies": "Penicillin",
        "bp_systolic": 122,
        "bp_diastolic": 78,
        "heart_rate": 70,
        "spo2": 98,
        "weight_kg": "70.0",
        "height_cm": "175.0",
    }


def make_intake(
    patient: Patient,
    *,
    by: User,
    complete: bool = True,
    sign: bool = False,
    screen: dict[str, str] | None = None,
    baseline: dict[str, object] | None = None,
) -> Intake:
    intake = services.intake_start(patient=patient, by=by)
    if complete:
        answers = {c.code: contraindications.NO for c in contraindications.CONTRAINDICATIONS}
        answers.update(screen or {})
        intake = services.intake_update(
            intake=intake, by=by, screen=answers, **complete_intake_fields()
        )
        for code, values in (baseline or BASELINE).items():
            services.measure_record(
                patient=patient, code=code, answers=values, by=by, intake=intake
            )
    if sign:
        intake = services.intake_sign(intake=intake, by=by)
    return intake


def make_measure(patient: Patient, code: str, answers, *, by: User, **kw) -> MeasureResult:
    return services.measure_record(patient=patient, code=code, answers=answers, by=by, **kw)


def answers_totalling(code: str, total: int) -> list[int]:
    """Item answers for ``code`` adding up to ``total``, filled from item 1 onwards (so a PHQ-9
    up to 24 leaves item 9, the suicide-risk item, at 0)."""
    instrument = instruments.INSTRUMENTS[code]
    top = instrument.options[-1][0]
    answers = []
    for _ in instrument.items:
        answers.append(min(top, total))
        total -= answers[-1]
    if total:
        raise ValueError(f"{instrument.name} cannot total that much")
    return answers


def make_total(patient: Patient, code: str, total: int, *, by: User, **kw) -> MeasureResult:
    """A result of ``code`` with this total (``make_measure`` with answers that add up)."""
    return make_measure(patient, code, answers_totalling(code, total), by=by, **kw)


def make_consent_document(version: str = "1.0", **kw) -> ConsentDocument:
    kw.setdefault("body", "I understand the risks and benefits of ketamine-assisted therapy.")
    kw.setdefault("published_at", timezone.now() - dt.timedelta(days=1))
    return ConsentDocument.objects.create(version=version, **kw)
