"""Engine errors: each carries a message a creator can act on."""

from cctui.errors import CctuiError


class EngineError(CctuiError):
    """Something the creator or the workflow author must fix; shown as is."""


class ModuleError(EngineError):
    """A module could not produce its outputs (bad answer, missing file, provider failure...)."""

    def __init__(self, message: str, *, retryable: bool = True, hint: str | None = None):
        super().__init__(message, retryable=retryable, hint=hint)


class AnswerError(EngineError):
    """An answer to an interaction that does not fit it; the interaction stays pending."""


class ConfirmNeeded(AnswerError):
    """The answer trips warning checks of the option it goes on with: the creator confirms them
    (the same answer again with `confirmed_warnings`) or changes it."""

    def __init__(self, warnings: list[tuple[str, str]]):
        self.warnings = warnings  # (check id, message)
        super().__init__(" ".join(message for _id, message in warnings)
                         + " Confirm to go on anyway, or change the answer.")


class RunBusyError(EngineError):
    """Another live process drives the run; following its jobs here too would pay for them twice."""

    def __init__(self, run_id: str, pid: int, host: str, since: str):
        super().__init__(f"run {run_id} is being driven by process {pid} on {host} (since {since}); "
                         f"wait for it to finish or stop it, then resume or open the run again")
        self.run_id = run_id
        self.pid = pid
        self.host = host
        self.since = since
