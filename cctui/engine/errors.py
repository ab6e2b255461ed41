"""Engine errors: each carries a message a creator can act on."""


class EngineError(Exception):
    """Something the creator or the workflow author must fix; shown as is."""


class ModuleError(EngineError):
    """A module could not produce its outputs (bad answer, missing file, provider failure...)."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class AnswerError(EngineError):
    """An answer to an interaction that does not fit it; the interaction stays pending."""
