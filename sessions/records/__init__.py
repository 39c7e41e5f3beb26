"""Records out: a patient's complete record as PDF and FHIR R4 (``pdf``, ``fhir``), the clinic
outcomes report (``outcomes_report``) and the de-identified research export (``deidentify``).

The record is assembled from *parts* registered in ``sessions.records.registry``: each part names
the models it covers, reads its rows for one patient, and says how they appear in the PDF and in
the FHIR bundle. A model that belongs to a patient and is in no part fails
``sessions/tests/test_records_coverage.py``.
"""
