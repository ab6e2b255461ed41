"""Provider job ids checked before they go into a request path.

An id comes from the provider's answer; one that is not of the provider's own shape (`../`, `?`,
ESC, ...) from a broken or hostile answer must not choose the URL, nor reach a terminal in a
message.
"""

from __future__ import annotations

import re
from typing import Any

from .base import ProviderError


def checked_id(value: Any, shape: re.Pattern[str], who: str, described: str, provider: str) -> str:
    text = str(value)
    if shape.fullmatch(text):
        return text
    shown = repr(text) if len(text) <= 80 else repr(text[:80]) + "..."
    # not_found: no request can ever follow this id, so the job ends here and is not retried.
    raise ProviderError(f"{who} answered a job id that is not of its shape ({described}): {shown}; "
                        "it was not used in a request.", "not_found", provider=provider)
