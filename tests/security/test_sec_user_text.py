"""What a creator types (a text answer, the feedback of a retry) is data: it is stored and sent
to the LLM exactly as typed, never rendered as a template, even when it looks like one."""

from __future__ import annotations

import shutil
from pathlib import Path

from cctui.engine.engine import Engine
from fakes import FakeProviders

BASE = Path(__file__).resolve().parent.parent / "corpus" / "valid_base"

TYPED = "Miso {{ 7*7 }} {% for x in range(3) %}loop{% endfor %} {{ state }} {{ cycler.__init__.__globals__ }}"
FEEDBACK = "{{ 7*7 }} more snow {% for x in range(3) %}again{% endfor %}{% if %} {{ lipsum.__globals__ }}"


def user_text(request) -> str:
    return "\n".join(part.text for part in request.user if hasattr(part, "text"))


async def test_text_answers_and_retry_feedback_reach_the_llm_verbatim(tmp_path):
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    providers = FakeProviders()
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    try:
        run = await engine.new_run(root)
        await run.advance()
        await run.answer((await run.pending()).interaction_id, {"selected_indices": [1]})
        await run.answer((await run.pending()).interaction_id, {"text": TYPED})

        # The text answer: in the state and in the prompt exactly as typed.
        assert run.status == "waiting", run.error
        assert run.state["direction"] == TYPED
        first = providers.llm_provider.requests[-1]
        prompt = user_text(first)
        assert f"Direction: {TYPED}" in prompt
        assert "49" not in prompt and "looploop" not in prompt

        # Retry with feedback that looks like a template (and would not even parse as one).
        inter = await run.pending()
        assert inter.module_name == "select_title"
        await run.choose(inter.interaction_id, "retry_titles", FEEDBACK)
        assert run.status == "waiting", run.error
        second = providers.llm_provider.requests[-1]
        assert second is not first
        assert second.history[-1] == {"role": "user", "content": FEEDBACK}
        assert user_text(second) == prompt  # the prompt itself is rendered the same way again

        # Stored verbatim in the event log: the answer, the retry and the module's history.
        store = engine.services.store
        answered = await store.events(run.run_id, ("interaction_answered",))
        assert answered[-1].data["answer"]["text"] == TYPED
        (retry,) = await store.events(run.run_id, ("retry",))
        assert retry.data["feedback"] == FEEDBACK
        started = [e for e in await store.events(run.run_id, ("module_started",)) if e.module == "write_titles"]
        assert started[-1].data["history"][-1]["content"] == FEEDBACK
    finally:
        await engine.close()
