"""Celery tasks: thin wrappers over ``scheduling.services``; each safe to run twice."""

from __future__ import annotations

from celery import shared_task

from scheduling import services


@shared_task(ignore_result=True)
def send_due_reminders(limit: int = 50) -> dict[str, int]:
    """Run every minute by beat: claim due reminders and send them, one at a time.

    Two workers running this at once claim different rows; a worker killed mid-batch leaves its
    unsent claims to be released after the lease (services.reminders_claim_due).
    """
    token, ids = services.reminders_claim_due(limit=limit)
    outcome: dict[str, int] = {}
    for reminder_id in ids:
        status = services.reminder_send(reminder_id=reminder_id, token=token)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


@shared_task(ignore_result=True)
def send_due_patient_messages(limit: int = 50) -> dict[str, int]:
    """Run every minute by beat: the self-report outbox (questionnaire and check-in links),
    claimed and sent exactly once like reminders."""
    token, ids = services.patient_messages_claim_due(limit=limit)
    outcome: dict[str, int] = {}
    for message_id in ids:
        status = services.patient_message_send(message_id=message_id, token=token)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


@shared_task(ignore_result=True)
def plan_scheduled_questionnaires() -> int:
    """Daily: questionnaires on the protocol's schedule; safe to run twice."""
    return services.plan_scheduled_questionnaires()
