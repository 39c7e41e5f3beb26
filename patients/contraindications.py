"""The ketamine contraindication screen: which items are asked, and which are absolute.

Pure data, no Django, so the intake form, the eligibility rule and the sessions app's pre-dose
re-confirmation all read the same list (DESIGN.md, "Contraindication screen").

Sources: Osmind KAP intake guide; Sanacora et al., JAMA Psychiatry 2017;74:399-405 (consensus
statement on ketamine for mood disorders). An *absolute* item answered "yes" blocks an
"eligible" decision unless a medical provider writes an override reason; a *relative* item is
shown to the provider to weigh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

ABSOLUTE = "absolute"
RELATIVE = "relative"

YES = "yes"
NO = "no"
UNKNOWN = "unknown"
ANSWERS = ((YES, "Yes"), (NO, "No"), (UNKNOWN, "Unknown"))


@dataclass(frozen=True)
class Contraindication:
    code: str
    label: str
    kind: str  # ABSOLUTE or RELATIVE


CONTRAINDICATIONS: tuple[Contraindication, ...] = (
    Contraindication(
        "psychotic_disorder",
        "Psychotic disorder (schizophrenia, schizoaffective disorder, psychosis)",
        ABSOLUTE,
    ),
    # A first-degree relative's psychotic disorder raises the risk but is not itself a
    # contraindication (DESIGN.md: "relative is 'relative', not absolute").
    Contraindication(
        "psychosis_first_degree_relative",
        "Psychotic disorder in a first-degree relative",
        RELATIVE,
    ),
    Contraindication("uncontrolled_hypertension", "Uncontrolled hypertension", ABSOLUTE),
    Contraindication("pregnancy", "Pregnancy", ABSOLUTE),
    Contraindication("substance_use_disorder", "Active substance use disorder", ABSOLUTE),
    Contraindication("ketamine_misuse", "History of ketamine misuse", ABSOLUTE),
    Contraindication(
        "ischemic_heart_disease",
        "Ischemic heart disease, or a recent myocardial infarction",
        ABSOLUTE,
    ),
    Contraindication(
        "stroke_cerebrovascular",
        "Recent stroke or cerebrovascular disease",
        ABSOLUTE,
    ),
    Contraindication("severe_liver_disease", "Severe liver disease", ABSOLUTE),
    Contraindication(
        "raised_intracranial_intraocular_pressure",
        "Raised intracranial or intraocular pressure",
        ABSOLUTE,
    ),
    Contraindication("uncontrolled_hyperthyroidism", "Uncontrolled hyperthyroidism", ABSOLUTE),
    # Interacting medications blunt or complicate the effect: weighed by the provider.
    Contraindication("maoi", "Takes a monoamine oxidase inhibitor (MAOI)", RELATIVE),
    Contraindication("high_dose_benzodiazepines", "Takes high-dose benzodiazepines", RELATIVE),
    Contraindication("lamotrigine", "Takes lamotrigine", RELATIVE),
)

BY_CODE: Mapping[str, Contraindication] = MappingProxyType({c.code: c for c in CONTRAINDICATIONS})
CODE_CHOICES: tuple[tuple[str, str], ...] = tuple((c.code, c.label) for c in CONTRAINDICATIONS)
