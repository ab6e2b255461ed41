"""Batch mode: run a whole workflow without a screen, answers taken from a JSON file.

The answers file is an object keyed by module name (or `step_id.module_name`); each value is one
answer or a list consumed in order each time that module asks:
  {"select": [0]} | {"text": "..."} | {"option": "retry_id", "feedback": "..."} |
  {"sub_actions": [{"id": "generate", "tab": "leonardo", "params": {...}}], "select": 0} |
  {"sub_actions": [{"tab": "your_photo", "file": "~/Pictures/miso.jpg"}], "select": 0}  (an own-file tab) |
  {"skip": true}  (an optional media step, e.g. music without an ElevenLabs key) |
  {"select": 0, "confirmed_warnings": ["check_id"]}  (go on past a workflow's warning check) |
  {"values": {"loop_mode": "pingpong", "music_source": "generated"}}  (`media.assemble`: the render form)
  {"form_data": [{"weight": 80}, {}]}  (`user.form`: one object per item, in order; {} keeps its defaults) |
  {} or {"file_path": "~/exports"}  (`io.client_write`: written into the run's folder, or there)
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Callable

from cctui.engine.engine import Engine, load
from cctui.engine.errors import AnswerError, ConfirmNeeded, EngineError
from cctui.engine.forms import FormError, check_value, form_check, form_fields
from cctui.engine.modules import REGISTRY
from cctui.engine.run import Run
from cctui.engine.ux import find_selectable, is_own_file_tab, media_tabs
from cctui.jobs.statuses import can_fetch_again
from cctui.records import JobRecord, JobStatus, RunStatus
from cctui.safe_text import clean
from cctui.workflow.models import Workflow
from cctui.workflow.templates import is_template

# A generation that needs nothing more: its files are here, or the creator gave it up.
_SETTLED = (JobStatus.COMPLETED, JobStatus.CANCELLED)
log = logging.getLogger(__name__)

# Keys of an answers file that are batch mode's own (a retry option, generations to start); every
# other key is one a module's declared answer shape takes.
BATCH_KEYS = {"option", "feedback", "sub_actions", "confirmed_warnings"}
ANSWER_KEYS = BATCH_KEYS.union(*(cls.contract.answer_keys for cls in REGISTRY.values()))


class BatchError(EngineError):
    pass


class Answers(dict):
    """An answers file's content, remembering the file so that later messages can name it."""

    source: str = "answers"


def load_answers(path: Path) -> dict[str, Any]:
    # Answers are a few KB; reading at most the cap (+1 to notice more) keeps `/dev/zero` or a
    # pipe that never ends from filling memory. O_NONBLOCK only so that opening a FIFO without a
    # writer does not hang; reads block again so `<(...)` still works.
    import os

    cap = 4 * 1024 * 1024
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            os.set_blocking(fd, True)
            chunks: list[bytes] = []
            size = 0
            while size <= cap:
                chunk = os.read(fd, min(1 << 20, cap + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        if size > cap:
            raise BatchError(f"{path}: the answers file is larger than the limit of {cap // (1024 * 1024)} MB "
                             f"({cap:,} bytes)")
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except FileNotFoundError:
        raise BatchError(f"{path}: answers file not found") from None
    except json.JSONDecodeError as exc:
        raise BatchError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise BatchError(f"{path}: at $: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise BatchError(f"{path}: at $: the JSON is nested too deeply to read") from None
    except OSError as exc:  # a directory, no permission, ...
        raise BatchError(f"{path}: the answers file cannot be read: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise BatchError(f"{path}: at $: the answers file must be a JSON object keyed by module name")
    answers = Answers(data)
    answers.source = str(path)
    return answers


def check_answers(answers: dict[str, Any], workflow: Workflow, source: str = "answers") -> None:
    """Refuse an answers file that does not fit the workflow, before anything is spent."""
    names = {}
    for step in workflow.steps:
        for spec in step.modules:
            names[spec.name] = spec
            names[f"{step.step_id}.{spec.name}"] = spec
    for key, value in answers.items():
        if key.startswith("$") or key.startswith("_"):
            continue  # comments
        if key not in names:
            raise BatchError(f"{source}: at $.{key}: no module named {key!r} in workflow {workflow.workflow_id!r}")
        spec = names[key]
        for i, answer in enumerate(value if isinstance(value, list) else [value]):
            where = f"{source}: at $.{key}" + (f"[{i}]" if isinstance(value, list) else "")
            if not isinstance(answer, dict):
                raise BatchError(f"{where}: an answer must be an object such as {{\"select\": [0]}}")
            unknown = set(answer) - ANSWER_KEYS
            if unknown:
                raise BatchError(f"{where}: unknown key {sorted(unknown)[0]!r} "
                                 f"(expected {', '.join(sorted(ANSWER_KEYS))})")
            _check_types(answer, where)
            option = answer.get("option")
            if option is not None:
                ids = [o.id for o in spec.retryable.options] if spec.retryable else []
                if option not in ids:
                    raise BatchError(f"{where}.option: module {spec.name!r} has no option {option!r}"
                                     f" (options: {', '.join(ids) or 'none'})")
            for j, sub in enumerate(answer.get("sub_actions") or []):
                if isinstance(sub, dict) and _child_sub(spec, sub) is not None:
                    if not isinstance(sub.get("feedback", ""), str):
                        raise BatchError(f"{where}.sub_actions[{j}].feedback: must be a string")
                    continue
                if not isinstance(sub, dict) or "tab" not in sub:
                    raise BatchError(f"{where}.sub_actions[{j}]: needs a `tab` (the provider tab key)")
                if sub.get("id", "generate") not in [s.id for s in spec.sub_actions]:
                    raise BatchError(f"{where}.sub_actions[{j}].id: module {spec.name!r} has no sub-action "
                                     f"{sub.get('id')!r}")
            _check_fit(spec, answer, where)


# What batch mode's own keys must be (a module's keys are checked against its answer shape); checked
# before the run starts, so that a typo in the answer for step 8 is found before steps 1 to 7 are paid for.
_VALUE_TYPES: dict[str, tuple[type, str]] = {
    "option": (str, "a string"), "feedback": (str, "a string"), "sub_actions": (list, "a list"),
    "confirmed_warnings": (list, "a list of check ids"),
}


def _has_template(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return isinstance(value, str) and is_template(value)


def _check_types(answer: dict[str, Any], where: str) -> None:
    for key, (kind, described) in _VALUE_TYPES.items():
        if key in answer and not isinstance(answer[key], kind):
            raise BatchError(f"{where}.{key}: must be {described}, not {type(answer[key]).__name__}")


def _child_sub(spec, sub: dict[str, Any]):
    """The module's sub-action an answer's entry names when that one runs other modules (a child
    run: it takes an optional `feedback`, no tab); None otherwise."""
    found = next((s for s in spec.sub_actions if s.id == sub.get("id")), None)
    return found if found is not None and found.child_modules() else None


def _check_fit(spec, answer: dict[str, Any], where: str) -> None:
    contract = REGISTRY[spec.module_id].contract
    if not contract.interactive:
        raise BatchError(f"{where}: module {spec.name!r} ({spec.module_id}) never asks for an answer")
    children = any(sub.child_modules() for sub in spec.sub_actions)
    allowed = contract.answer_keys | {"option", "feedback", "confirmed_warnings"} | (
        {"sub_actions"} if contract.sub_actions or children else set())
    wrong = sorted(set(answer) - allowed)
    if wrong:
        raise BatchError(f"{where}: {wrong[0]!r} is not an answer to {spec.name!r} ({spec.module_id}); "
                         f"it takes {', '.join(sorted(allowed))}")
    problem = contract.answer_problem({k: v for k, v in answer.items() if k in contract.answer_keys})
    if problem:
        raise BatchError(f"{where}.{problem[0]}: {problem[1]}")
    for j, sub in enumerate(answer.get("sub_actions") or []):
        if _child_sub(spec, sub) is not None:
            continue
        if not isinstance(sub.get("tab"), str):
            raise BatchError(f"{where}.sub_actions[{j}].tab: must be a string")
        if not isinstance(sub.get("params") or {}, dict):
            raise BatchError(f"{where}.sub_actions[{j}].params: must be an object")
        tabs = media_tabs(spec.inputs.get("schema"))
        if tabs and sub["tab"] not in tabs and not _has_template(spec.inputs.get("schema")):
            raise BatchError(f"{where}.sub_actions[{j}].tab: module {spec.name!r} has no tab {sub['tab']!r}"
                             f" (tabs: {', '.join(tabs)})")
        own = sub["tab"] in tabs and is_own_file_tab(tabs[sub["tab"]])
        if own and not (isinstance(sub.get("file"), str) and sub["file"].strip()):
            raise BatchError(f"{where}.sub_actions[{j}].file: tab {sub['tab']!r} takes a file of yours: give its "
                             f"path, e.g. \"file\": \"~/Pictures/pet.jpg\"")
        if "file" in sub and tabs and sub["tab"] in tabs and not own:
            raise BatchError(f"{where}.sub_actions[{j}].file: tab {sub['tab']!r} generates; only a tab whose "
                             f"provider is \"you\" takes a file")
        if sub["tab"] in tabs and not _has_template(tabs[sub["tab"]]):
            _check_params(tabs[sub["tab"]], sub.get("params") or {}, f"{where}.sub_actions[{j}].params")
    if contract.view == "select":
        _check_static_choice(spec, answer, where)


def _check_params(tab_schema: dict[str, Any], params: dict[str, Any], where: str) -> None:
    """The values the answers file gives a generation form, checked as given (never adjusted:
    only pre-filled values are fitted to the form), before the run starts."""
    fields = form_fields(tab_schema)
    for name, value in params.items():
        f = next((x for x in fields if x.key == name), None) or next((x for x in fields if x.destination == name),
                                                                    None)
        if f is None or _has_template(value):
            continue
        try:
            check_value(f, value)
        except FormError as exc:
            raise BatchError(f"{where}.{name}: {exc}") from None


def _check_static_choice(spec, answer: dict[str, Any], where: str) -> None:
    """For a list that is fixed in the workflow (not rendered from state), the numbers must be in it."""
    chosen = answer.get("select", answer.get("selected_indices"))
    data = spec.inputs.get("data")
    if chosen is None or _has_template(data):
        return
    found = find_selectable(spec.inputs.get("schema") or {}, data)
    if found is None:
        return
    count = len(found[1])
    for i in chosen if isinstance(chosen, list) else [chosen]:
        if not 0 <= i < count:
            raise BatchError(f"{where}: no item {i} in `select` for {spec.name!r} "
                             f"(there are {count}, numbered from 0)")


class BatchRunner:
    def __init__(self, engine: Engine, answers: dict[str, Any], out: Callable[[str], None] = print,
                 job_timeout: float = 1800.0):
        self.engine = engine
        self.answers = answers
        # Every line may quote an LLM's or a provider's text (a job's error): cleaned so that it
        # cannot drive the terminal it is printed on.
        self.out = lambda line: out(clean(line))
        self.job_timeout = job_timeout
        self.used: dict[str, int] = {}
        self.source = getattr(answers, "source", "answers")

    def _next_answer(self, run: Run, step_id: str, module: str) -> dict[str, Any]:
        for key in (f"{step_id}.{module}", module):
            if key in self.answers:
                value = self.answers[key]
                queue = value if isinstance(value, list) else [value]
                n = self.used.get(key, 0)
                if n >= len(queue):
                    if isinstance(value, list):
                        raise BatchError(f"{self.source}: at $.{key}: module {module!r} (step {step_id!r}) asked "
                                         f"{n + 1} times; the file has {len(queue)} answers")
                    return queue[-1]
                self.used[key] = n + 1
                return queue[n]
        raise BatchError(f"{self.source}: no answer for module {module!r} (step {step_id!r}); add a key {module!r}")

    def _report_steps(self, run: Run, done_before: int, quiet: bool = False) -> int:
        done = min(run.position["step"], len(run.workflow.steps))
        if run.status is RunStatus.COMPLETED:
            done = len(run.workflow.steps)
        if quiet:
            return done
        for si in range(done_before, done):
            step = run.workflow.steps[si]
            # A key two modules write (one refines the other's value) is listed once.
            keys = list(dict.fromkeys(k for spec in step.modules for k in spec.outputs_to_state.values()
                                      if k in run.state))
            self.out(f"  {run.workflow.step_title(si)} [{step.step_id}] done: {', '.join(keys)}")
        if done < done_before:
            self.out(f"  went back to {run.workflow.step_title(done)} [{run.workflow.steps[done].step_id}]")
        return done

    async def run(self, workflow_dir: Path | str) -> Run:
        check_answers(self.answers, load(workflow_dir), self.source)  # before a run exists
        run = await self.engine.new_run(workflow_dir)
        self.out(f"run {run.run_id} ({run.workflow.name})")
        return await self.drive(run)

    async def resume(self, run_id: str) -> Run:
        """Go on with a stored run (after a crash, a kill or a stop on an error), from where it is.

        The answers the run has already used are skipped (counted from its event log); jobs it had
        started are followed again, never sent twice; a run that stopped on a failed module
        retries that module."""
        run = await self.engine.open_run(run_id)
        check_answers(self.answers, run.workflow, self.source)
        self.used = await self._answers_used(run)
        done = self._report_steps(run, 0, quiet=True)
        self.out(f"resuming run {run.run_id} ({run.workflow.name}) at "
                 f"{run.workflow.step_title(min(done, len(run.workflow.steps) - 1))}")
        if run.status is RunStatus.ERROR:
            await run.retry_failed()
        return await self.drive(run, done)

    async def _answers_used(self, run: Run) -> dict[str, int]:
        """How many answers each key has given: one per interaction the run has asked, except
        the one still waiting (its answer was never applied, or not completely)."""
        used: dict[str, int] = {}
        pending = run.position.get("interaction_id")
        for event in await self.engine.services.store.events(run.run_id, ("interaction_requested",)):
            if event.event_id == pending:
                continue
            for key in (f"{event.step_id}.{event.module}", event.module):
                if key in self.answers:
                    used[key] = used.get(key, 0) + 1
                    break
        return used

    async def drive(self, run: Run, done_before: int = 0) -> Run:
        status = await run.advance()
        done = self._report_steps(run, done_before)
        while status is not RunStatus.COMPLETED:
            if status is RunStatus.ERROR:
                spec = run.current_spec()
                raise BatchError(f"run {run.run_id} stopped in {run.workflow.step_title(run.position['step'])}, "
                                 f"module {spec.name if spec else '?'}: {run.error}")
            interaction = await run.pending()
            answer = self._next_answer(run, interaction.step_id, interaction.module_name)
            try:
                status = await self._apply(run, interaction, answer)
            except ConfirmNeeded as exc:
                ids = ", ".join(json.dumps(check_id) for check_id, _message in exc.warnings)
                raise BatchError(f"{self.source}: at $.{interaction.module_name}: {exc} To go on, add "
                                 f"\"confirmed_warnings\": [{ids}] to this answer") from None
            except AnswerError as exc:
                raise BatchError(f"{self.source}: at $.{interaction.module_name}: {exc}") from None
            done = self._report_steps(run, done)
        left = [j for j in await self.engine.services.store.jobs_of_run(run.run_id)
                if j.status not in _SETTLED]
        if left:
            what = "1 generation" if len(left) == 1 else f"{len(left)} generations"
            self.out(f"  {what} the choices did not need still wait{'s' if len(left) == 1 else ''} for a decision "
                     f"({', '.join(j.job_id + ' ' + j.status for j in left)}): see `cctui jobs`")
        return run

    def _answer_key(self, interaction) -> str:
        """The key of the answers file that answers this interaction (`step_id.module` or `module`)."""
        long_key = f"{interaction.step_id}.{interaction.module_name}"
        return long_key if long_key in self.answers else interaction.module_name

    async def _start_generation(self, run: Run, interaction, index: int, sub: dict[str, Any]) -> str:
        """Start one generation of the answer's `sub_actions[index]`; returns the job id.

        Values pre-filled from the run's earlier state (e.g. an LLM's suggested length) that the
        form had to adjust are printed, one line each. A value the form refuses is this answers
        file's error only when the file gave it; a pre-filled one is not, and the message says
        how to get past it."""
        if "file" in sub:  # an own-file tab: the creator's file, copied in; nothing is sent
            return await run.own_file(interaction.interaction_id, sub["tab"], sub["file"])
        params = sub.get("params") or {}
        inputs = interaction.resolved_inputs or {}
        tab_schema = media_tabs(inputs.get("schema") or {}).get(sub["tab"])
        if tab_schema is not None:
            try:
                checked = form_check(tab_schema, (inputs.get("prompts") or {}).get(sub["tab"]), params)
            except FormError as exc:
                names = (exc.field.key, exc.field.destination) if exc.field else ()
                name = next((n for n in params if n in names), names[-1] if names else "?")
                path = f"$.{self._answer_key(interaction)}.sub_actions[{index}].params.{name}"
                if not exc.prefilled:
                    raise BatchError(f"{self.source}: at {path}: {exc}") from None
                raise BatchError(
                    f"run {run.run_id} stopped in {interaction.step_title}, module {interaction.module_name}: "
                    f"{sub['tab']}: {exc} (a value pre-filled from the run's earlier answers, not from "
                    f"{self.source}); give one in {self.source} at {path}, then continue with `cctui run "
                    f"{run.workflow.root} --answers {self.source} --resume {run.run_id}`") from None
            for note in checked.notes.values():
                log.info("run %s, %s, %s: %s", run.run_id, interaction.module_name, sub["tab"], note)
                self.out(f"    {interaction.module_name}: {sub['tab']}: {note}")
        return await run.sub_action(interaction.interaction_id, sub.get("id", "generate"), sub["tab"], params)

    async def _apply(self, run: Run, interaction, answer: dict[str, Any]) -> str:
        iid = interaction.interaction_id
        store = self.engine.services.store
        # Generations this interaction already started (before a kill or a stop) are followed,
        # never started again: each was paid for once.
        subs = answer.get("sub_actions") or []
        # A child run this question already had (before a kill) is not run (and paid for) again.
        done = [e for e in await store.events(run.run_id, ("sub_action_completed",))
                if e.branch == run.branch and e.module == interaction.module_name]
        children = [s for s in subs if _child_sub(run.current_spec(), s) is not None]
        for sub in children[len(done):]:
            # Runs other modules and asks the same question again over what they added.
            label = _child_sub(run.current_spec(), sub).label
            self.out(f"    {interaction.module_name}: {label}")
            status = await run.run_child(iid, sub["id"], sub.get("feedback"))
            asked = await run.pending()
            if status is not RunStatus.WAITING or asked is None or asked.module_name != interaction.module_name:
                return status
            iid = asked.interaction_id
        subs = [s for s in subs if _child_sub(run.current_spec(), s) is None]
        started = await store.jobs_for_interaction(run.run_id, iid)
        for i, sub in enumerate(subs):
            if i < len(started) and started[i].prompt_key == sub["tab"]:
                job_id = started[i].job_id
            else:
                job_id = await self._start_generation(run, interaction, i, sub)
            timed_out = False
            try:
                await self.engine.services.jobs.wait([job_id], timeout=self.job_timeout)
            except asyncio.TimeoutError:
                timed_out = True
            job = await store.get_job(job_id)
            line = f"    {interaction.module_name}: {sub['tab']} {job.action} {job.status}"
            if job.error:
                line += f": {job.error}"
            self.out(line)
            if job.status not in _SETTLED:
                # Decided at once: what the choice counts is made before this job, so nothing
                # started after it can change the answer, and nothing more is paid for if it stops.
                await self._go_on_without(run, interaction, answer, sub["tab"], job, timed_out)
        option = answer.get("option")
        if option and option != "continue":
            return await run.choose(iid, option, answer.get("feedback"))
        # The keys the module's answer shape takes, as given (check_answers has checked them); one
        # left out means what the module says it means (e.g. a text input's default).
        keys = REGISTRY[interaction.module_id].contract.answer_keys
        response = {k: v for k, v in answer.items() if k in keys}
        if answer.get("confirmed_warnings"):
            response["confirmed_warnings"] = list(answer["confirmed_warnings"])
        if interaction.kind == "assemble":
            self.out(f"    {interaction.module_name}: rendering {interaction.display.get('duration', 0):g} s")
        if option == "continue":
            return await run.choose(iid, "continue", answer=response)
        return await run.answer(iid, response)

    async def _go_on_without(self, run: Run, interaction, answer: dict[str, Any], tab: str, job: JobRecord,
                             timed_out: bool) -> None:
        """Generations that did not finish stop the run only when the answer's choice depends on
        them. `select: N` counts finished items in creation order, so it is safe when N falls
        among the items made before the first unfinished generation (and a chosen content id is
        safe when it is there): the choice is the same whatever the waiting one becomes. It stays
        listed in `cctui jobs` for the creator to decide on later."""
        gens = await run.generations()
        before_first_waiting: list[dict[str, Any]] = []
        for gen in gens:
            if gen["status"] not in _SETTLED:
                break
            before_first_waiting += gen["items"]
        index = answer.get("select", answer.get("selected_indices"))
        if isinstance(index, list) and len(index) == 1:
            index = index[0]
        option = answer.get("option")
        chosen_id = answer.get("selected_content_id")
        independent = option in (None, "continue") and not answer.get("skip") and (
            any(item["content_id"] == chosen_id for item in before_first_waiting) if chosen_id else
            isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(before_first_waiting))
        if not independent:
            raise BatchError(self._job_decision(run, interaction, tab, job, timed_out))
        note = (f"the {tab} {job.action} generation (job {job.job_id}) is {job.status}; the answer's "
                f"choice does not depend on it, so the run goes on: `cctui jobs` shows what to do with it")
        log.info("run %s, %s: %s", run.run_id, interaction.module_name, note)
        self.out(f"    {interaction.module_name}: {note}")

    def _job_decision(self, run: Run, interaction, tab: str, job: JobRecord, timed_out: bool) -> str:
        """The message for a generation that did not finish: the creator decides, then resumes.
        (Choosing generation N of a list that lacks one would pick another picture than the
        answers file means, and pay for the next steps with it.)"""
        what = f"the {tab} {job.action} generation (job {job.job_id})"
        jid = job.job_id
        error = (job.error or "no reason given").rstrip(". ")
        decide = ""
        if job.status in (JobStatus.NOT_DOWNLOADED, JobStatus.STALLED):
            # Finished (or still going) at the provider and paid for: fetching again is the way on.
            state = f"{what} is accepted by {job.provider} but not here yet: {error}"
            decide = f"`cctui jobs --fetch {jid}` asks for it again (no new charge), as the resume below does; "
        elif job.status is JobStatus.FAILED and can_fetch_again(job.status, job.accepted, job.error_kind):
            state = f"{what} could not be followed: {error}"
            decide = f"`cctui jobs --fetch {jid}` asks {job.provider} for it again (no new charge); then "
        elif job.status is JobStatus.FAILED:
            state = f"{what} failed: {error}"
            decide = (f"`cctui jobs --resubmit {jid}` sends it again (a new paid request, after naming the price), "
                      f"`cctui jobs --dismiss {jid}` goes on without it; then ")
        elif job.status is JobStatus.UNKNOWN:
            state = f"{what} may or may not have reached the provider: {error}"
            decide = (f"`cctui jobs --resubmit {jid}` looks for it at the provider first and sends it again only "
                      f"if it is not there (after naming the price), `cctui jobs --dismiss {jid}` goes on "
                      f"without it; then ")
        else:
            state = (f"{what} is still {job.status} after {self.job_timeout:g} s" if timed_out else
                     f"{what} is {job.status} but no longer followed (see the log)")
        return (f"run {run.run_id} stopped in {interaction.step_title}, module {interaction.module_name}: {state}. "
                f"{decide}continue with `cctui run {run.workflow.root} --answers {self.source} "
                f"--resume {run.run_id}`")
