"""The patient's side of measurement-based care: signed single-use links that open phone pages
(questionnaires, the next-day check-in, the safety plan), and the records they produce.

Links and answers belong here; sending them is the schedule's job (``scheduling`` plans and
sends the outbox rows that carry the links). Tokens: ``patients.selfreport.tokens``; writes:
``patients.services.selfreport`` and ``patients.services.safety_plan``.
"""
