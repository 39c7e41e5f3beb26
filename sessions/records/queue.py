"""Start a record export's build on a Celery worker, by the task's name.

The page that requests an export does not import ``sessions.tasks``: that module imports the PDF
writer (WeasyPrint, about a second to import), which a web process that only queues the build has
no use for. A process where the task is registered (a worker, or tests with eager tasks) runs it
through its task object; any other sends it by name to the broker."""

from __future__ import annotations

from celery import current_app
from django.db import transaction

BUILD_TASK = "sessions.tasks.build_record_export"


def enqueue_record_export(export_id: int) -> None:
    """Start the build once the request has committed (never before: the worker would not find
    the row)."""
    transaction.on_commit(lambda: current_app.signature(BUILD_TASK, args=(export_id,)).delay())
