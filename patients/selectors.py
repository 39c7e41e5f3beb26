"""Reads of the patient record. Functions that take a ``user`` check the role in the same call,
so a view cannot forget to (STYLE.md, "Reads check access in the same call")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic import roles
from patients import contraindications, instruments
from patients.models import (
    MRN_PREFIX,
    Consent,
    ConsentDocument,
    ContraindicationAnswer,
    EligibilityDecision,
    Intake,
    IntakeAddendum,
    MeasureResult,
    Patient,
    RiskFlag,
)

# --- access ----------------------------------------------------------------------------------


def patient_for_user(*, user: User | AnonymousUser, pk: int, clinical: bool = False) -> Patient:
    """The patient, if the user's role may see them: front-office roles for the registry page,
    clinical roles for the chart (``clinical=True``). 403 for other roles, 404 if missing.
    Archived patients stay readable: their record is kept, only hidden from search."""
    roles.check_role(user, roles.CLINICAL if clinical else roles.FRONT_OFFICE)
    return get_object_or_404(Patient.objects.select_related("primary_clinician"), pk=pk)


def intake_for_user(*, user: User | AnonymousUser, pk: int) -> Intake:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        Intake.objects.select_related("patient", "created_by", "signed_by"), pk=pk
    )


def measure_for_user(*, user: User | AnonymousUser, pk: int) -> MeasureResult:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(MeasureResult.objects.select_related("patient", "entered_by"), pk=pk)


def risk_flag_for_user(*, user: User | AnonymousUser, pk: int) -> RiskFlag:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(RiskFlag.objects.select_related("patient", "measure"), pk=pk)


def consent_for_user(*, user: User | AnonymousUser, pk: int) -> Consent:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        Consent.objects.select_related("patient", "document", "witness", "revoked_by"), pk=pk
    )


# --- find a patient ----------------------------------------------------------------------------

SORTS: dict[str, tuple[str, ...]] = {
    "name": ("legal_last_name", "legal_first_name", "id"),
    "-name": ("-legal_last_name", "-legal_first_name", "-id"),
    "dob": ("date_of_birth", "id"),
    "-dob": ("-date_of_birth", "-id"),
    "mrn": ("id",),  # MRNs are assigned in primary-key order
    "-mrn": ("-id",),
    "status": ("status", "legal_last_name", "id"),
    "-status": ("-status", "-legal_last_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
DEFAULT_SORT = "name"

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_MRN_RE = re.compile(r"^(?:kap-?)?0*(\d{1,9})$", re.IGNORECASE)


def _parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def patients_search(
    *, query: str = "", sort: str = DEFAULT_SORT, include_archived: bool = False
) -> QuerySet[Patient]:
    """Patients matching ``query``: part of a legal or preferred name (every word must match
    some name, case-insensitive), an MRN (with or without "KAP-" and leading zeros), a date
    of birth (2024-01-31 or 01/31/2024) or part of a phone number (7+ digits).

    Lower-cased name lookups use the functional indexes on the model; on PostgreSQL the
    "contains" matches use the trigram indexes from migration 0002.
    """
    qs = Patient.objects.select_related("primary_clinician").annotate(
        last_lower=Lower("legal_last_name"),
        first_lower=Lower("legal_first_name"),
        preferred_lower=Lower("preferred_name"),
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    query = " ".join(query.split())
    if query:
        qs = qs.filter(_search_q(query))
    return qs.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


PICK_LIMIT = 8


def patients_pick(*, query: str, limit: int = PICK_LIMIT) -> tuple[list[Patient], bool]:
    """The first ``limit`` current (not archived) patients matching ``query`` by the rules of
    ``patients_search``, and whether more match: what a patient picker offers. One query."""
    found = list(patients_search(query=query)[: limit + 1])
    return found[:limit], len(found) > limit


def _search_q(query: str) -> Q:
    matches = Q()
    words = query.lower().split()
    name_q = Q()
    for word in words:
        name_q &= (
            Q(last_lower__contains=word)
            | Q(first_lower__contains=word)
            | Q(preferred_lower__contains=word)
        )
    matches |= name_q
    mrn = _MRN_RE.match(query.replace(" ", ""))
    if mrn:
        # MRNs are stored upper-case, so an exact match can use the unique index.
        matches |= Q(mrn=f"{MRN_PREFIX}{int(mrn.group(1)):06d}")
    born = _parse_date(query)
    if born:
        matches |= Q(date_of_birth=born)
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 7 and not born:
        matches |= Q(phone__contains=digits)
    return matches


def possible_duplicates(
    *,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date | None,
    phone: str = "",
    email: str = "",
    exclude_pk: int | None = None,
) -> QuerySet[Patient]:
    """Registered patients who are likely the same person: same legal name and date of birth,
    or the same phone or e-mail. Archived patients count too (a returning patient)."""
    q = Q()
    if legal_first_name and legal_last_name and date_of_birth:
        q |= Q(
            legal_first_name__iexact=legal_first_name.strip(),
            legal_last_name__iexact=legal_last_name.strip(),
            date_of_birth=date_of_birth,
        )
    if phone:
        q |= Q(phone=phone)
    if email:
        q |= Q(email__iexact=email.strip())
    if not q:
        return Patient.objects.none()
    qs = Patient.objects.filter(q)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("legal_last_name", "legal_first_name", "id")


# --- the clinical record -----------------------------------------------------------------------


def eligibility_latest(patient: Patient) -> EligibilityDecision | None:
    return (
        EligibilityDecision.objects.filter(patient_id=patient.pk)
        .select_related("signed_by")
        .order_by("-signed_at", "-id")
        .first()
    )


def eligibility_is_signed(patient: Patient) -> bool:
    """True when the patient's latest signed eligibility decision is "eligible" and no intake
    was signed after it: a newer intake (before a maintenance phase, say) may hold answers the
    decision never weighed, such as a new absolute contraindication, so a provider signs again."""
    latest = eligibility_latest(patient)
    if latest is None or latest.decision != EligibilityDecision.Decision.ELIGIBLE:
        return False
    return not Intake.objects.filter(
        patient_id=patient.pk, status=Intake.Status.SIGNED, signed_at__gt=latest.signed_at
    ).exists()


def awaiting_eligibility() -> QuerySet[Patient]:
    """Patients whose latest signed intake has no eligibility decision signed after it, the
    longest waiting first: the provider's home worklist. The same rule as
    ``eligibility_is_signed`` (a newer intake needs a new decision), for every patient in one
    query. Archived patients are left out: their record is closed."""
    intakes = Intake.objects.filter(patient=OuterRef("pk"), status=Intake.Status.SIGNED).order_by(
        "-signed_at", "-id"
    )
    decisions = EligibilityDecision.objects.filter(patient=OuterRef("pk")).order_by(
        "-signed_at", "-id"
    )
    # The candidates first, set-wise: a patient waits exactly when some signed intake has no
    # decision signed at or after it (then the latest has none either). One anti-join over
    # intakes and decisions, instead of four subqueries for every patient in the registry; the
    # subqueries below then run only for the few patients who wait (they are for display and
    # order: the anti-join already is the rule "no decision signed after the latest intake").
    undecided = Intake.objects.filter(status=Intake.Status.SIGNED).filter(
        ~Exists(
            EligibilityDecision.objects.filter(
                patient=OuterRef("patient"), signed_at__gte=OuterRef("signed_at")
            )
        )
    )
    return (
        Patient.objects.filter(archived_at__isnull=True, pk__in=undecided.values("patient_id"))
        .annotate(
            intake_signed_at=Subquery(intakes.values("signed_at")[:1]),
            decided_at=Subquery(decisions.values("signed_at")[:1]),
            last_decision=Subquery(decisions.values("decision")[:1]),
        )
        .order_by("intake_signed_at", "pk")
    )


def consent_current(patient: Patient) -> Consent | None:
    """The patient's unrevoked signature of the current consent version, if any."""
    document = current_consent_document()
    if document is None:
        return None
    return (
        Consent.objects.filter(patient_id=patient.pk, document=document, revoked_at__isnull=True)
        .select_related("document", "witness")
        .order_by("-signed_at", "-id")
        .first()
    )


def consent_is_current(patient: Patient) -> bool:
    return consent_current(patient) is not None


def latest_measure(
    patient: Patient, code: str, *, since: datetime | None = None
) -> MeasureResult | None:
    """The patient's most recent ``code`` measure, optionally taken at or after ``since``."""
    qs = MeasureResult.objects.filter(patient_id=patient.pk, code=code)
    if since is not None:
        qs = qs.filter(taken_at__gte=since)
    return qs.order_by("-taken_at", "-id").first()


def latest_intake(patient: Patient) -> Intake | None:
    """The draft in progress if there is one, else the most recently signed intake."""
    intakes = list(
        Intake.objects.filter(patient_id=patient.pk)
        .select_related("created_by", "signed_by")
        .prefetch_related("screen")
        .order_by("-created_at", "-id")
    )
    draft = next((i for i in intakes if i.status == Intake.Status.DRAFT), None)
    return draft or (intakes[0] if intakes else None)


def latest_signed_intake(patient: Patient) -> Intake | None:
    return (
        Intake.objects.filter(patient_id=patient.pk, status=Intake.Status.SIGNED)
        .prefetch_related("screen")
        .order_by("-signed_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class ChartFlag:
    """One item of the chart header's "active flags"."""

    kind: str  # "suicide_risk" | "contraindication"
    label: str
    detail: str
    level: str  # Bootstrap colour: "danger" | "warning"
    since: datetime | None = None
    risk_flag: RiskFlag | None = None


def open_risk_flags(patient: Patient) -> list[RiskFlag]:
    return list(
        RiskFlag.objects.filter(patient_id=patient.pk, acknowledged_at__isnull=True)
        .select_related("measure")
        .order_by("-raised_at", "-id")
    )


def active_flags(patient: Patient) -> list[ChartFlag]:
    """Unacknowledged suicide-risk results, then contraindications answered "yes" on the
    latest intake (absolute first). Clinical content: only for clinical roles."""
    flags = [
        ChartFlag(
            kind=instruments.SUICIDE_RISK,
            label="Suicide risk",
            detail=f"{flag.measure.get_code_display()} {flag.measure.result_label}".strip(),
            level="danger",
            since=flag.raised_at,
            risk_flag=flag,
        )
        for flag in open_risk_flags(patient)
    ]
    intake = latest_intake(patient)
    if intake is not None:
        yes = [a for a in intake.screen.all() if a.answer == contraindications.YES]
        yes.sort(key=lambda a: (not a.is_absolute, a.item))
        flags.extend(
            ChartFlag(
                kind="contraindication",
                label=a.get_item_display(),
                detail=f"{a.kind} contraindication" + (f" — {a.note}" if a.note else ""),
                level="danger" if a.is_absolute else "warning",
            )
            for a in yes
        )
    return flags


def measures_for_chart(patient: Patient) -> QuerySet[MeasureResult]:
    return MeasureResult.objects.filter(patient_id=patient.pk).select_related("entered_by")


def latest_measures(patient: Patient) -> dict[str, MeasureResult]:
    """Each instrument's latest result for the patient, by code. One query, one index probe
    per instrument (``measure_latest_idx``), however many results the patient has."""
    mine = MeasureResult.objects.filter(patient_id=patient.pk)
    newest = Q()
    for code in instruments.INSTRUMENTS:
        newest |= Q(
            pk=Subquery(mine.filter(code=code).order_by("-taken_at", "-id").values("pk")[:1])
        )
    return {m.code: m for m in mine.filter(newest)}


# The outcome charts draw the baseline, the intakes' results and the latest this many results
# of each measure: years of sessions would otherwise put hundreds of points (and dates to
# format) on every chart view. The measures page lists every result.
OUTCOME_POINTS = 40


@dataclass(frozen=True)
class OutcomeRow:
    """One measure followed over time (DESIGN.md, step 8): its results and how the latest
    compares with the baseline."""

    instrument: instruments.Instrument
    results: list[MeasureResult]  # oldest first
    baseline: MeasureResult | None  # None: no result yet
    baseline_from_intake: bool
    latest: MeasureResult | None  # None until there is a result after the baseline
    outcome: instruments.Outcome | None
    bands: tuple[instruments.Band, ...]
    count: int = 0  # all the patient's results of this measure (``results`` may be fewer)
    # When only the latest OUTCOME_POINTS results are in ``results`` (besides the baseline):
    # the first of them. None when ``results`` holds them all.
    window_start: datetime | None = None


def outcomes_for_chart(patient: Patient) -> list[OutcomeRow]:
    """PHQ-9, GAD-7 and PCL-5 results over time with baseline, latest and the change between
    them (``instruments.outcome``). One query however many results. Clinical content."""
    base = MeasureResult.objects.filter(
        patient_id=patient.pk, code__in=instruments.OUTCOME_MEASURES
    )
    counts = dict(base.values_list("code").annotate(n=Count("id")).order_by())
    # What the baseline and latest can be (intake results, the first, the latest), plus the
    # charts' window: bounded however long the history (OUTCOME_POINTS).
    keep = Q(intake__isnull=False)
    for code in instruments.OUTCOME_MEASURES:
        by_code = base.filter(code=code)
        keep |= Q(pk__in=by_code.order_by("taken_at", "id").values("pk")[:1])
        keep |= Q(pk__in=by_code.order_by("-taken_at", "-id").values("pk")[:OUTCOME_POINTS])
    results = list(
        base.filter(keep)
        .annotate(intake_started=F("intake__created_at"))
        .order_by("taken_at", "id")
    )
    rows = []
    for code in instruments.OUTCOME_MEASURES:
        mine = [m for m in results if m.code == code]
        count = counts.get(code, 0)
        window = [m for m in mine if m.intake_id is None][-OUTCOME_POINTS:]
        baseline, from_intake = _outcome_baseline(mine)
        latest = mine[-1] if mine and mine[-1] is not baseline else None
        rows.append(
            OutcomeRow(
                instrument=instruments.INSTRUMENTS[code],
                results=mine,
                baseline=baseline,
                baseline_from_intake=from_intake,
                latest=latest,
                outcome=(
                    instruments.outcome(code, baseline.total, latest.total if latest else None)
                    if baseline is not None
                    else None
                ),
                bands=instruments.bands(code),
                count=count,
                window_start=window[0].taken_at if count > len(mine) and window else None,
            )
        )
    return rows


def _outcome_baseline(results: list[MeasureResult]) -> tuple[MeasureResult | None, bool]:
    """The result change is measured from, and whether it is the intake's.

    The intake's baseline measure is the one treatment was planned against (DESIGN.md, step 2:
    baseline measures are part of the intake), so it wins over earlier results, which may be a
    consultation screen or an earlier course. The latest intake counts: a returning patient's
    new intake starts a new course. Within that intake the last entry counts, as on the intake
    page (a re-entered measure corrects the first). Without an intake measure (no intake yet, or
    results entered outside it) the first result is the nearest thing to a pre-treatment value.
    """
    from_intake = [m for m in results if m.intake_id is not None]
    if from_intake:
        latest_intake = max(from_intake, key=lambda m: (m.intake_started, m.intake_id))
        same_intake = [m for m in from_intake if m.intake_id == latest_intake.intake_id]
        return same_intake[-1], True
    return (results[0], False) if results else (None, False)


def consents_for_chart(patient: Patient) -> QuerySet[Consent]:
    return Consent.objects.filter(patient_id=patient.pk).select_related(
        "document", "witness", "revoked_by"
    )


def open_risk_flags_for_clinician(user: User) -> QuerySet[RiskFlag]:
    """Open suicide-risk flags for the clinician's own patients, and for patients with no
    primary clinician yet, so that no flag goes unseen."""
    return (
        RiskFlag.objects.filter(acknowledged_at__isnull=True)
        .filter(Q(patient__primary_clinician=user) | Q(patient__primary_clinician__isnull=True))
        .select_related("patient", "measure")
        .order_by("-raised_at", "-id")
    )


def intakes_with_addenda(patient: Patient) -> QuerySet[Intake]:
    return (
        Intake.objects.filter(patient_id=patient.pk)
        .select_related("created_by", "signed_by")
        .prefetch_related(
            "screen", Prefetch("addenda", queryset=IntakeAddendum.objects.select_related("author"))
        )
    )


# --- intake and consent reads ---------------------------------------------------------------

# Signing needs these answered; an empty text field is fine when written as "none".
INTAKE_REQUIRED_TO_SIGN = (
    "diagnoses",
    "prior_treatments",
    "failed_antidepressant_trials",
    "hospitalisations",
    "substance_use",
    "medical_history",
    "medications",
    "allergies",
    "bp_systolic",
    "bp_diastolic",
    "heart_rate",
    "weight_kg",
    "height_cm",
)
# Baseline measures an intake needs before it can be signed (DESIGN.md, step 2).
BASELINE_MEASURES = (instruments.PHQ9, instruments.GAD7, instruments.PCL5, instruments.CSSRS)


def intake_missing(intake: Intake) -> list[str]:
    """What still stands between this draft and a signature, in words for the clinician."""
    missing = []
    for name in INTAKE_REQUIRED_TO_SIGN:
        value = getattr(intake, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(str(Intake._meta.get_field(name).verbose_name).capitalize())
    answered = {a.item for a in intake.screen.all() if a.answer}
    unanswered = [c.label for c in contraindications.CONTRAINDICATIONS if c.code not in answered]
    if unanswered:
        count = len(unanswered)
        missing.append(
            f"Contraindication screen ({count} item{'s' if count != 1 else ''} unanswered)"
        )
    taken = set(intake.measures.values_list("code", flat=True))
    for code in BASELINE_MEASURES:
        if code not in taken:
            missing.append(f"Baseline {instruments.INSTRUMENTS[code].name}")
    return missing


def absolute_contraindications_present(intake: Intake) -> list[ContraindicationAnswer]:
    """The intake's absolute contraindications answered "yes"."""
    return [
        answer
        for answer in intake.screen.all()
        if answer.answer == contraindications.YES and answer.is_absolute
    ]


def current_consent_document() -> ConsentDocument | None:
    return (
        ConsentDocument.objects.filter(published_at__lte=timezone.now())
        .order_by("-published_at", "-id")
        .first()
    )
