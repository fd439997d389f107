"""The server's own log of failed requests: the request id (as in the access log), the
status, the failure's kind and where in the code; never the path (with its case
reference), the request or the exception's message. Imports nothing of Casebook: the
logging configuration loads it before the apps."""

import logging
import traceback


class NoPathsFilter(logging.Filter):
    """For Django's request and security logs: the status and the failure's kind and
    code location, never the path (with its case reference), the request or the
    exception's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("django.request", "django.security")):
            return True  # other loggers are left as they are
        if getattr(record, "casebook_cleaned", False):
            return True  # cleaned by the logger's filter: the handler's must not redo it
        record.casebook_cleaned = True  # (without the request, it would lose its id)
        status = getattr(record, "status_code", "")
        where = ""
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frames = traceback.extract_tb(error.__traceback__)[-5:]
            where = " ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames)
            where = f" {type(error).__name__} at {where}"
        request_id = getattr(getattr(record, "request", None), "request_id", "")
        # The request id matches the access-log event of the failure, if it wrote one.
        # django.security's records (a refused form, a bad host) name the path too: only
        # which check refused the request is kept.
        if record.name.startswith("django.security"):
            what = record.name.rsplit(".", 1)[-1]
            record.msg = f"request {request_id} refused by the {what} check"
        else:
            record.msg = f"request {request_id} failed with status {status}{where}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        if hasattr(record, "request"):
            record.request = None
        return True
