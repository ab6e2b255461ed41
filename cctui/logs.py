"""Logging to a file in the data directory, with every configured key scrubbed out.

The scrubber is the safety net: no code logs a key on purpose, but an exception message from a
library may quote a header or a URL, and httpx writes every request's URL, a base URL's
`user:password@` included.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from cctui.redact import redact_urls
from cctui.safe_text import clean
from cctui.settings import Settings


class SecretScrubber(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        for secret in self.secrets:
            message = message.replace(secret, "***")
        # Shown, not obeyed, when someone reads the log in a terminal.
        record.msg, record.args = clean(redact_urls(message)), None
        return True


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file, which may stop being writable (a full disk): said once on stderr, then the
    run goes on without it, instead of a "--- Logging error ---" traceback for every line."""

    _failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self._failed:
            self._failed = True
            exc = sys.exc_info()[1]
            reason = getattr(exc, "strerror", None) or exc
            sys.stderr.write(f"warning: the log file {self.baseFilename} cannot be written ({reason}); "
                             "going on without it\n")


def setup_logging(settings: Settings, level: int = logging.INFO) -> Path:
    log_dir = settings.ensure_data_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / "cctui.log"
    handler = _LogFile(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretScrubber(settings.secret_values()))
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if getattr(h, "_cctui", False)]:
        root.removeHandler(old)
        old.close()
    handler._cctui = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return path
