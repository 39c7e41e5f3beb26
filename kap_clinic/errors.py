"""One error path from services to the page.

Services raise ``ValidationError`` (with field keys where a field is to blame). A view runs the
service inside ``service_errors(form)``: on success the block's ``return`` leaves the view as
usual; on a ``ValidationError`` the messages land on the form (on their field when the form has
it, else at the top) and the view goes on to re-render the form. With a request instead of a
form, the messages become flash messages (buttons that post without a form on the page).

    with service_errors(form):
        course = services.course_start(patient=patient, by=request.user, **form.cleaned_data)
        return redirect("sessions:course_detail", pk=course.pk)
    return render(...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def error_messages(error: ValidationError | ValueError) -> list[str]:
    """The error's messages, flattened (a ``ValueError`` from a pure scoring module is one)."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]


def add_service_error(form: forms.BaseForm, error: ValidationError | ValueError) -> None:
    """Put a service's error on ``form``: field errors on their field when the form has it,
    everything else as a non-field error."""
    if not isinstance(error, ValidationError):
        error = ValidationError(str(error))
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    # The error itself, not its text: a view may ask ``form.has_error(..., code=...)``.
    form.add_error(None, error)


@contextmanager
def service_errors(
    target: forms.BaseForm | HttpRequest,
    *,
    also: tuple[type[Exception], ...] = (),
) -> Iterator[None]:
    """Run a service call; a ``ValidationError`` (or one of ``also``, e.g. the ``ValueError``
    of ``instruments.score``) goes onto the form, or into the request's messages."""
    try:
        yield
    except (ValidationError, *also) as error:
        if isinstance(target, forms.BaseForm):
            add_service_error(target, error)
        else:
            messages.error(target, " ".join(error_messages(error)))
