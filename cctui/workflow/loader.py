"""Load a workflow folder: resolve `$ref`s, build the models, run every static check.

Everything wrong is reported as a WorkflowError naming the file, the JSON path inside it and
the reason, so `cctui validate` can print it without a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Callable

import jsonschema
from pydantic import ValidationError

from cctui.workflow.errors import WorkflowError, WorkflowErrors
from cctui.workflow.files import WORKFLOW_FILE, WORKFLOW_GLOB
from cctui.workflow.models import STATUS_SHAPE_TAGS, StatusField, StatusLayout, Workflow
from cctui.workflow.module_shape import ModuleShape, input_problems, output_problems
from cctui.workflow.seed_keys import child_problems, input_warnings, not_acted_on, sub_action_problems
from cctui.workflow.refs import LiteralText, RefResolver
from cctui.workflow.strict_schema import strict_problems
from cctui.workflow.templates import check_syntax, dollar_names, is_template, state_paths

SCHEMA_INPUT_KEYS = ("schema", "output_schema", "input_schema")
# step ids and media tab keys become part of generated file names (`<step_id>_<tab>_<job id>`).
FILE_NAME_PART = re.compile(r"[\w-]+")


def find_workflow_file(folder: Path) -> Path:
    if folder.is_file():
        return folder
    candidates = sorted(p for p in folder.glob(WORKFLOW_GLOB) if p.is_file())
    preferred = folder / WORKFLOW_FILE
    if preferred.is_file():
        return preferred
    if preferred.exists():
        shown = f"{folder.resolve().name}/{WORKFLOW_FILE}"
        raise WorkflowError(shown, "$", f"{WORKFLOW_FILE} is not a file (a directory?)")
    if candidates:
        return candidates[0]
    raise WorkflowError(str(folder), "$", f"no {WORKFLOW_FILE} (or workflow*.json) in this folder")


def load_workflow(folder: Path | str, module_ids: Collection[str] | None = None,
                  modules: Mapping[str, ModuleShape] | None = None) -> Workflow:
    """`modules`: each known module's inputs and outputs, checked against every step file's use of
    it; `module_ids` alone checks only that each module exists."""
    folder = Path(folder)
    try:
        if not folder.exists():
            raise WorkflowError(str(folder), "$", "workflow folder not found")
        file = find_workflow_file(folder)
    except OSError as exc:  # no permission on the folder or a parent, ...
        raise WorkflowError(str(folder), "$", f"the workflow folder cannot be read ({exc.strerror or exc}): "
                            "check its permissions, or run cctui as the user who owns it") from None
    resolver = RefResolver(file.parent)
    tree = resolver.load_json(file)
    if not isinstance(tree, dict):
        raise WorkflowError(resolver.display(file), "$", "the workflow file must hold a JSON object")
    try:
        workflow = Workflow.model_validate(tree)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = _without_shape_tag(tuple(err["loc"]))
            where_file, where_path = resolver.locate(loc)
            errors.append(WorkflowError(where_file, where_path, _pydantic_reason(err)))
        raise WorkflowErrors(errors) from None
    workflow.root = file.parent.resolve()
    # Where each module is written, so an error at run time can name the file and JSON path too.
    workflow.module_files = {(si, mi): resolver.locate(("steps", si, "modules", mi))
                             for si, step in enumerate(workflow.steps) for mi in range(len(step.modules))}
    if modules is not None:
        module_ids = modules.keys()
    unset_reads: list[WorkflowError] = []
    problems = list(_check(workflow, resolver, module_ids, modules or {}, unset_reads))
    if problems:
        raise WorkflowErrors(problems)
    workflow.warnings = [WorkflowError(*resolver.locate(path), reason) for path, reason in not_acted_on(workflow)]
    workflow.warnings += [WorkflowError(*resolver.locate(path), reason)
                          for path, reason in input_warnings(workflow, modules or {})]
    workflow.warnings += unset_reads
    return workflow


def _without_shape_tag(loc: tuple) -> tuple:
    """Pydantic puts the chosen shape's tag into the path; the file has no such key."""
    if loc[:1] == ("status_display",) and len(loc) > 1 and loc[1] in STATUS_SHAPE_TAGS:
        return loc[:1] + loc[2:]
    return loc


def _pydantic_reason(err: dict) -> str:
    if err["type"] == "missing":
        return f"required field {err['loc'][-1]!r} is missing"
    if err["type"] == "extra_forbidden":
        return f"unknown field {err['loc'][-1]!r}"
    return err["msg"]


def _check(wf: Workflow, resolver: RefResolver, module_ids: Collection[str] | None,
           modules: Mapping[str, ModuleShape], unset_reads: list[WorkflowError]):
    """Yields the errors; a read of a path nothing sets goes to `unset_reads` instead when the
    workflow renders such paths as empty (a warning then, not an error)."""
    def err(path: tuple, reason: str) -> WorkflowError:
        file, jpath = resolver.locate(path)
        return WorkflowError(file, jpath, reason)

    seen_steps: dict[str, int] = {}
    seen_modules: dict[str, tuple[int, int]] = {}
    # Set by the engine, not a module: the feedback a child run (or, in the seed system, a retry)
    # is started with.
    written: set[str] = set(wf.initial_state) | {"_retry_feedback"} | {
        sub.feedback.state_key for step in wf.steps for mod in step.modules for sub in mod.sub_actions
        if sub.feedback is not None}
    # state.<module name> holds that module's raw outputs: what `state.<module>.<x>` may read.
    outputs_of: dict[str, frozenset[str] | None] = {}
    reads = _Reads(written, outputs_of, wf.lenient, err, unset_reads)
    if not wf.steps:
        yield err(("steps",), "a workflow needs at least one step")
    for si, step in enumerate(wf.steps):
        sp = ("steps", si)
        if step.step_id in seen_steps:
            yield err(sp + ("step_id",), f"step_id {step.step_id!r} is used twice")
        if not FILE_NAME_PART.fullmatch(step.step_id):
            yield err(sp + ("step_id",), f"step_id {step.step_id!r} may only use letters, digits, _ and - "
                                         f"(it becomes part of file names)")
        seen_steps[step.step_id] = si
        if not step.modules:
            yield err(sp + ("modules",), "a step needs at least one module")
        for mi, mod in enumerate(step.modules):
            mp = sp + ("modules", mi)
            if module_ids is not None and mod.module_id not in module_ids:
                yield err(mp + ("module_id",),
                          f"unknown module_id {mod.module_id!r}; known: {', '.join(sorted(module_ids))}")
            if mod.name in seen_modules:
                yield err(mp + ("name",), f"module name {mod.name!r} is used twice in this workflow")
            seen_modules[mod.name] = (si, mi)
            shape = modules.get(mod.module_id)
            if shape is not None:
                for path, reason in (*input_problems(mod.inputs, shape),
                                     *output_problems(mod.outputs_to_state, shape, mod.inputs),
                                     *(shape.input_errors(mod.inputs) if shape.input_errors else ())):
                    yield err(mp + path, reason)
                for path, reason in sub_action_problems(mod, mp, shape):
                    yield err(path, reason)
            for path, reason in child_problems(wf, mod, mp, modules):
                yield err(path, reason)
            yield from _check_schemas(mod.inputs, mp + ("inputs",), err, mod.module_id)
            yield from _check_tab_keys(mod.inputs.get("schema"), mp + ("inputs", "schema"), err)
            dollar = shape.dollar_inputs if shape is not None else frozenset()
            for key, value in mod.inputs.items():
                yield from _check_templates(value, mp + ("inputs", key), err, reads,
                                            dollar_names if key in dollar else str)
            yield from _check_retry(wf, si, mod, mp, err)
            outputs_of[mod.name] = shape.outputs_for(mod.inputs) if shape is not None else None
            for key in mod.outputs_to_state.values():
                outputs_of.pop(key, None)  # a mapped key of that name replaces the raw outputs
            written.update(mod.state_keys())
    yield from _check_status_display(wf.status_display, err)
    yield from _check_results(wf, err, written)


def _check_status_display(display: list[StatusField] | StatusLayout, err):
    if not isinstance(display, StatusLayout):
        for i, field in enumerate(display):
            if problem := check_syntax(field.template):
                yield err(("status_display", i, "template"), problem)
        return
    ids: set[str] = set()
    for i, field in enumerate(display.fields):
        if field.id in ids:
            yield err(("status_display", "fields", i, "id"), f"field id {field.id!r} is used twice")
        ids.add(field.id)
        if problem := check_syntax(field.value):
            yield err(("status_display", "fields", i, "value"), problem)
    for r, row in enumerate(display.layout):
        for c, field_id in enumerate(row):
            if field_id not in ids:
                known = ", ".join(sorted(ids)) or "none"
                yield err(("status_display", "layout", r, c),
                          f"layout names field {field_id!r}, which status_display.fields does not define "
                          f"(fields: {known}): add the field or remove the id from the layout")


def _check_results(wf: Workflow, err, written: set[str]):
    """Each declared result is read from a state key some module writes (or initial_state sets):
    a key renamed in one place and not the other is found here, not on the finish screen."""
    seen: set[str] = set()
    names: set[str] = {"run.json", "costs.json"}  # every bundle has these
    for ri, result in enumerate(wf.results):
        if result.id in seen:
            yield err(("results", ri, "id"), f"result id {result.id!r} is used twice")
        seen.add(result.id)
        if result.export and result.export in names:
            yield err(("results", ri, "export"), f"export name {result.export!r} is taken (by another result, "
                                                 f"or run.json/costs.json): choose another file name")
        names.add(result.export or "")
        for where, value in result.sources():
            if value.state_key not in written:
                yield err(("results", ri) + where + ("state_key",),
                          f"result {result.id!r} reads state.{value.state_key}, which no module writes "
                          f"(outputs_to_state) and initial_state does not set: use the key a module writes, "
                          f"or add it to that module's outputs_to_state")


def _check_schemas(value: Any, at: tuple, err, module_id: str):
    if isinstance(value, dict):
        for key, sub in value.items():
            if key in SCHEMA_INPUT_KEYS and isinstance(sub, dict):
                try:
                    jsonschema.Draft202012Validator.check_schema(sub)
                except jsonschema.SchemaError as exc:
                    inner = tuple(exc.path)
                    yield err(at + (key,) + inner, f"not a valid JSON Schema (Draft 2020-12): {exc.message}")
                if key == "output_schema" and module_id == "api.llm":
                    for path, reason in strict_problems(sub):
                        yield err(at + (key,) + path, reason)
            if key not in ("resolver_schema",):
                yield from _check_schemas(sub, at + (key,), err, module_id)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _check_schemas(sub, at + (i,), err, module_id)


def _check_tab_keys(schema: Any, at: tuple, err):
    """The keys of `render_as: tab.media` properties name the generated files too."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    for key, sub in (props if isinstance(props, dict) else {}).items():
        if not isinstance(sub, dict):
            continue
        nested = sub.get("_ux") if isinstance(sub.get("_ux"), dict) else {}
        if "tab.media" in (nested.get("render_as"), sub.get("_ux.render_as")) and not FILE_NAME_PART.fullmatch(key):
            yield err(at + ("properties", key),
                      f"media tab {key!r} may only use letters, digits, _ and - (it becomes part of file names)")


class _Reads:
    """What a template may read at one point of the workflow, and where a read of anything else
    goes: an error, or (where such reads render empty) a warning."""

    def __init__(self, written: set[str], outputs_of: dict[str, frozenset[str] | None], lenient: bool,
                 err, warnings: list[WorkflowError]):
        self.written, self.outputs_of, self.lenient = written, outputs_of, lenient
        self.err, self.warnings = err, warnings

    def problems(self, text: str) -> list[str]:
        out = []
        for path in sorted(state_paths(text)):
            key = path[0]
            if key not in self.written:
                out.append(f"reads state.{key}, which no earlier module writes (outputs_to_state), no earlier "
                           f"module is named and initial_state does not set")
            elif len(path) == 2 and self.outputs_of.get(key) is not None and path[1] not in self.outputs_of[key]:
                made = ", ".join(sorted(self.outputs_of[key])) or "none"
                out.append(f"reads state.{key}.{path[1]}, but module {key!r} has no output {path[1]!r} "
                           f"(its outputs: {made})")
        return out

    def report(self, at: tuple, text: str):
        for reason in self.problems(text):
            if self.lenient:
                self.warnings.append(self.err(at, f"{reason}; it renders empty here (undefined_paths is "
                                                  f"\"empty\"): check the name"))
            else:
                yield self.err(at, reason)


def _check_templates(value: Any, at: tuple, err, reads: _Reads, read: Callable[[str], str] = str):
    """`read`: the text as the module hands it to Jinja (see `ModuleShape.dollar_inputs`)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _check_templates(sub, at + (key,), err, reads, read)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _check_templates(sub, at + (i,), err, reads, read)
    elif isinstance(value, str) and not isinstance(value, LiteralText) and is_template(value):
        value = read(value)
        problem = check_syntax(value)
        if problem:
            yield err(at, problem)
            return
        yield from reads.report(at, value)


def _check_retry(wf: Workflow, si: int, mod, mp: tuple, err):
    if not mod.retryable:
        return
    step = wf.steps[si]
    ids = [o.id for o in mod.retryable.options]
    if mod.retryable.default_option and mod.retryable.default_option not in ids:
        yield err(mp + ("retryable", "default_option"),
                  f"default_option {mod.retryable.default_option!r} is not one of the options")
    for oi, opt in enumerate(mod.retryable.options):
        op = mp + ("retryable", "options", oi)
        if opt.mode == "continue":
            continue
        target_si = si
        if opt.target_step:
            found = wf.step_index(opt.target_step)
            if found is None:
                yield err(op + ("target_step",), f"no step with step_id {opt.target_step!r}")
                continue
            target_si = found
            if found > si:
                yield err(op + ("target_step",), "a jump can only go back to this or an earlier step")
        if opt.mode == "retry" and opt.target_step and target_si != si:
            yield err(op + ("target_step",), "retry re-runs a module of this step; use mode jump for another step")
        if opt.target_module:
            target_mi = wf.steps[target_si].module_index(opt.target_module)
            if target_mi is None:
                yield err(op + ("target_module",),
                          f"no module named {opt.target_module!r} in step {wf.steps[target_si].step_id!r}")
            elif target_si == si and target_mi > step.module_index(mod.name):
                yield err(op + ("target_module",), "the target module comes after this one")
        elif opt.mode == "retry":
            yield err(op, "a retry option needs target_module")
