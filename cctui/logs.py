"""Logging to a file in the data directory, with every configured key scrubbed out.

The scrubber is the safety net: no code logs a key on purpose, but an exception message from a
library may quote a header or a URL.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

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
        record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings, level: int = logging.INFO) -> Path:
    log_dir = settings.ensure_data_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / "cctui.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
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
