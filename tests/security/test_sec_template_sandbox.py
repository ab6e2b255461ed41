"""Templates are data from workflow files: the sandbox must refuse every known way out of Jinja
(dunder walks, globals of the built-in helpers, format-string attribute access), refuse to
change the run's state in place, and refuse expressions that would allocate without bound.
Each attack is tried through `render_string` and through a whole workflow run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cctui.engine.engine import Engine
from cctui.workflow.templates import TemplateError, build_context, check_syntax, render_string
from fakes import FakeProviders

BASE = Path(__file__).resolve().parent.parent / "corpus" / "valid_base"
STATE = {"pet": "cat", "items": [1, 2], "scene": {"title": "Snow"}}

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ '{0.__class__}'.format(state) }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{x.__init__.__globals__}'.format_map({'x': cycler}) }}",
    "{{ '%s' % ''.__class__ }}",
    "{{ '%s' % lipsum.__globals__ }}",
    "{{ state | attr('__class__') }}",
    "{{ (state | attr('__class__')).__mro__ }}",
    "{{ config.__class__ }}",
    "{{ config.__class__.__init__.__globals__ }}",
    "{{ state.__getitem__('pet') }}",
    "{{ state.scene.__class__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ (1).__class__.__base__ }}",
    "{{ range.__self__ }}",
    "{% include '/etc/passwd' %}",
    "{% extends '/etc/passwd' %}",
    "{% import '/etc/passwd' as x %}",
]

MUTATIONS = [
    "{{ state.update({'pet': 'dog'}) }}",
    "{{ state.pop('pet') }}",
    "{{ state.clear() }}",
    "{{ state.items.append(3) }}",
    "{{ state.scene.update({'title': 'Rain'}) }}",
    "{% set _ = state.items.extend([9, 9]) %}",
]

# Just past each limit: without the limits these render (a few MB); with them they are refused.
BOMBS = [
    "{{ range(10**9) | length }}",
    "{{ ('ab' * 500001) | length }}",
    "{{ ([0] * 1000001) | length }}",
    "{{ (3 ** 2000000) % 10 }}",
    "{{ ('%20000d' % 1) | length }}",
    "{{ ('%.20000f' % 1) | length }}",
    "{{ ('%*d' % (20000, 1)) | length }}",
    "{{ ('{:20000}'.format(1)) | length }}",
    "{{ ('{:>{w}}'.format(1, w=20000)) | length }}",
]

def context():
    import copy

    return build_context(copy.deepcopy(STATE), {"step_id": "s", "step_number": 1}, {"name": "m"}, {"k": 1})


@pytest.mark.parametrize("template", ESCAPES)
def test_sandbox_escapes_are_refused(template):
    with pytest.raises(TemplateError) as info:
        value = render_string(template, context(), "prompt.txt")
        pytest.fail(f"rendered: {str(value)[:200]}")
    message = str(info.value)
    assert message.startswith("prompt.txt: ")
    assert len(message) < 300, message  # a refusal, not a dump of what was reached


@pytest.mark.parametrize("template", MUTATIONS)
def test_templates_cannot_change_the_state(template):
    state = {"pet": "cat", "items": [1, 2], "scene": {"title": "Snow"}}
    ctx = build_context(state, {}, {}, {})
    with pytest.raises(TemplateError, match="sandbox"):
        render_string(template, ctx, "prompt.txt")
    assert state == STATE


@pytest.mark.parametrize("template", BOMBS)
def test_unbounded_allocations_are_refused(template):
    with pytest.raises(TemplateError):
        value = render_string(template, context(), "prompt.txt")
        pytest.fail(f"rendered {str(value)[:80]}")


@pytest.mark.parametrize("template", ["{{ '%s and %s' % (state.pet, 'dog') }}", "{{ '{} and {}'.format(state.pet, 'dog') }}",
                                      "{{ ('ab' * 3) }}", "{{ 2 ** 10 }}", "{{ '%5d' % 42 }}", "{{ state.items | length }}"])
def test_ordinary_expressions_still_work(template):
    """The limits are limits, not a ban: what prompts use renders as before."""
    value = render_string(template, context(), "prompt.txt")
    assert value in ("cat and dog", "ababab", 1024, "   42", 2)


def test_an_unknown_filter_is_found_when_the_workflow_loads():
    assert "No filter named 'shout'" in check_syntax("{{ state.pet | shout }}")
    assert "No test named 'shouting'" in check_syntax("{{ state.pet is shouting }}")
    assert check_syntax("{{ state.pet | upper }}") is None


# --------------------------------------------------------------------------- whole workflow


def workflow_with_prompt(tmp_path: Path, prompt: str) -> Path:
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    (root / "steps/2_write/prompts/user.txt").write_text(prompt, encoding="utf-8")
    return root


async def run_to_the_llm(tmp_path: Path, root: Path):
    providers = FakeProviders()
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    run = await engine.new_run(root)
    assert await run.advance() == "waiting"
    await run.answer((await run.pending()).interaction_id, {"selected_indices": [0]})
    await run.answer((await run.pending()).interaction_id, {"text": "a yellow duck"})
    return engine, providers, run


@pytest.mark.parametrize("attack", [
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ '{0.__class__.__mro__}'.format(state.pet_choice) }}",
    "{{ state.pet_choice.update({'label': 'hacked'}) }}",
    "{{ ('x' * 2000000) | length }}",
])
async def test_an_attack_in_a_workflow_prompt_stops_the_module_and_sends_nothing(tmp_path, attack):
    root = workflow_with_prompt(tmp_path, f"Three titles about {{{{ state.pet_choice.label }}}}. {attack}\n")
    engine, providers, run = await run_to_the_llm(tmp_path, root)
    try:
        assert run.status == "error"
        assert "template sandbox" in run.error and "write_titles" in run.error
        assert providers.llm_provider.requests == []  # nothing reached the LLM
        assert run.state["pet_choice"] == {"label": "Cat"}
        assert not any(marker in run.error for marker in ("uid=", "environ(", "<class"))
    finally:
        await engine.close()


async def test_an_attack_in_the_status_bar_shows_nothing(tmp_path):
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    wf_file = root / "workflow_v3.json"
    wf_file.write_text(wf_file.read_text().replace("{{ state.pet }}", "{{ lipsum.__globals__ }}"))
    providers = FakeProviders()
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    try:
        run = await engine.new_run(root)
        await run.advance()
        fields = run.status_fields()
        assert fields == [("Pet", "")]
    finally:
        await engine.close()
