"""Logging without PHI: request lines lose their query strings (patient search sends ``?q=``
with a name), wherever a log record carries a URL."""

from __future__ import annotations

import logging
import re

# A query string inside a request line or URL: from "?" up to the next space or quote.
REMOVED = "?[query removed]"
_QUERY = re.compile(r"\?(?!\[query removed\])[^\s\"']*")


def strip_query_strings(text: str) -> str:
    return _QUERY.sub(REMOVED, text)


class StripQueryStrings(logging.Filter):
    """For the ``django.server`` and ``django.request`` loggers and the console handler: rewrite
    the message and its string arguments so no query string reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_query_strings(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                strip_query_strings(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: strip_query_strings(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True
