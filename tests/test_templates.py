from __future__ import annotations

import pytest

from cctui.workflow.refs import LiteralText, TemplateText
from cctui.workflow.templates import TemplateError, build_context, render_string, render_value, state_reads

STATE = {"scene": {"title": "Nap", "moments": ["yawn", "stretch"]}, "pet": {"label": "Cat"}, "n": 3}


def ctx(**extra):
    return build_context(STATE, {"step_id": "scene_generation", "step_number": 2}, {"name": "m"}, {"k": 1}, **extra)


def test_single_expression_yields_the_value_itself():
    assert render_string("{{ state.scene.moments }}", ctx(), "x") == ["yawn", "stretch"]
    assert render_string("  {{ state.scene }} ", ctx(), "x") == {"title": "Nap", "moments": ["yawn", "stretch"]}
    assert render_string("{{ state.n }}", ctx(), "x") == 3


def test_mixed_text_yields_a_string():
    assert render_string("A {{ state.pet.label }} video, {{ state.n }} s", ctx(), "x") == "A Cat video, 3 s"
    assert render_string("{{ state.n }}{{ state.n }}", ctx(), "x") == "33"


def test_literal_text_is_never_rendered():
    text = LiteralText("Use {{ braces }} as is")
    assert render_value({"system": [text]}, ctx(), "x") == {"system": [text]}


def test_missing_key_names_the_template_the_step_and_the_key():
    prompt = TemplateText("Scene: {{ state.scene.setting }}")
    prompt.source = "steps/2/prompts/user.txt"
    with pytest.raises(TemplateError) as info:
        render_value({"input": prompt}, ctx(), "step 'scene_generation', module 'generate_scenes', input input")
    message = str(info.value)
    assert "state.scene.setting is not set" in message
    assert "steps/2/prompts/user.txt" in message and "scene_generation" in message


def test_missing_top_level_key_in_a_single_expression():
    with pytest.raises(TemplateError, match=r"state.nothing is not set"):
        render_string("{{ state.nothing }}", ctx(), "x")


def test_missing_key_in_a_loop_is_an_error_not_an_empty_string():
    with pytest.raises(TemplateError, match="state.elements is not set"):
        render_string("{% for e in state.elements %}- {{ e }}\n{% endfor %}", ctx(), "x")


@pytest.mark.parametrize("template", [
    "{{ state.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(state) }}",
])
def test_sandbox_refuses_escapes(template):
    with pytest.raises(TemplateError):
        render_string(template, ctx(cycler=object()), "x")


def test_state_reads_finds_attribute_and_item_access():
    assert state_reads("{{ state.a.b }} {{ state['c'] }} {% for x in state.d %}{{ x.state }}{% endfor %}") == {"a", "c", "d"}


def test_tojson_is_plain_json_not_html_escaped():
    assert render_string("{{ state.pet | tojson }}", build_context({"pet": {"label": "<Cat & Dog>"}}), "x") \
        == '{"label": "<Cat & Dog>"}'
