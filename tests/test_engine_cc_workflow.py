"""The whole CC workflow, headless, with in-process fake providers: steps 1 to 9, a retry with
feedback in step 2, a jump from step 5 back to step 3, and a close-and-resume inside step 5."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError
from fakes import FakeProviders


async def open_engine(tmp_path: Path, providers: FakeProviders) -> Engine:
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    return engine


async def answer_select(run, indices, option=None, feedback=None):
    inter = await run.pending()
    if option:
        return await run.choose(inter.interaction_id, option, feedback)
    return await run.answer(inter.interaction_id, {"selected_indices": indices})


async def generate(engine, run, tab, params=None):
    inter = await run.pending()
    job_id = await run.sub_action(inter.interaction_id, "generate", tab, params or {})
    await engine.services.jobs.wait([job_id], timeout=10)
    return job_id


async def test_cc_workflow_end_to_end(tmp_path, cc_workflow):
    providers = FakeProviders()
    engine = await open_engine(tmp_path, providers)
    run = await engine.new_run(cc_workflow)
    run_id = run.run_id

    # Step 1: pet, aesthetic, duration, direction.
    assert await run.advance() == "waiting"
    inter = await run.pending()
    assert (inter.step_id, inter.module_name, inter.kind) == ("user_input", "select_pet_type", "select")
    with pytest.raises(AnswerError, match="no item 7"):
        await run.answer(inter.interaction_id, {"selected_indices": [7]})
    await answer_select(run, [1])  # dog
    await answer_select(run, [2])
    await answer_select(run, [0])
    inter = await run.pending()
    assert inter.kind == "text_input"
    await run.answer(inter.interaction_id, {"text": "  Biscuit and his red ball  "})
    assert run.state["user_direction"] == "Biscuit and his red ball"
    assert run.state["pet_type_selection_indices"] == ["pet_types", 1]  # its path in `data`

    # Step 2: scenes, then a retry with feedback; the LLM gets its earlier answer and the feedback.
    inter = await run.pending()
    assert inter.module_name == "select_scene"
    first_scenes = run.state["scene_concepts"]
    await answer_select(run, None, option="retry_scenes", feedback="Make it rainy and funnier")
    scene_calls = providers.llm_provider.for_schema("scene")
    assert len(scene_calls) == 2
    history = scene_calls[1].history
    assert [m["role"] for m in history] == ["assistant", "user"]
    assert json.loads(history[0]["content"]) == first_scenes
    assert history[1]["content"] == "Make it rainy and funnier"
    assert run.state["scene_concepts"] != first_scenes
    await answer_select(run, [1])
    assert run.state["selected_scene"] == run.state["scene_concepts"]["scenes"][1]
    # The dog and the scene reached the image-prompt request.
    prompt_text = " ".join(p.text for p in providers.llm_provider.requests[-1].user if hasattr(p, "text"))
    assert run.state["selected_scene"]["title"] in prompt_text
    assert run.state["pet_type_selection"]["label"] in prompt_text

    # Step 3: two image generations on two tabs, pick the second image.
    inter = await run.pending()
    assert inter.kind == "media" and inter.display["tabs"] == ["leonardo", "openai", "stable_diffusion", "your_photo"]
    with pytest.raises(AnswerError, match="nothing has been generated"):
        await run.answer(inter.interaction_id, {"select": 0})
    await generate(engine, run, "leonardo", {"num_images": 1})
    await generate(engine, run, "openai")
    gens = (await run.pending()).display["generations"]
    assert [g["status"] for g in gens] == ["completed", "completed"]
    # Pre-filled prompt from the LLM's prompt data went to the provider.
    leo_request = providers.media_providers["leonardo"].submits[0]
    assert leo_request.params["prompt"] == run.state["image_prompts"]["prompts"]["leonardo"]["positive_prompt"]
    status = await run.answer(inter.interaction_id, {"select": 1})
    first_image = run.state["selected_image_data"]
    assert first_image["provider"] == "openai" and Path(first_image["local_path"]).is_file()
    assert first_image["prompt_key"] == "openai" and first_image["content_id"] == run.state["selected_image_id"]

    # Step 4 runs without a pause and sends the chosen image.
    assert status == "waiting"
    analysis_call = providers.llm_provider.requests[-1]
    images = [p for p in analysis_call.user if hasattr(p, "path")]
    assert [str(p.path) for p in images] == [first_image["local_path"]]
    assert set(run.state["image_analysis"]) == {"environment", "motion_elements", "audio_atmosphere"}

    # Step 5: pick two motion elements; they reach the video-prompt request.
    inter = await run.pending()
    assert inter.module_name == "select_motion_elements"
    await answer_select(run, [0, 2])
    chosen = run.state["selected_motion_elements"]
    assert chosen == [run.state["image_analysis"]["motion_elements"]["detected_elements"][i] for i in (0, 2)]
    video_prompt_text = providers.llm_provider.requests[-1].user[0].text
    assert all(e["element"] in video_prompt_text for e in chosen)

    inter = await run.pending()
    assert inter.module_name == "generate_and_select_videos"
    assert inter.display["source_image"]["local_path"] == first_image["local_path"]
    with pytest.raises(Exception, match="1:1"):
        await run.sub_action(inter.interaction_id, "generate", "sora", {"aspect_ratio": "1:1"})
    await generate(engine, run, "leonardo")
    assert providers.media_providers["leonardo"].submits[-1].source_image.content_id == first_image["content_id"]

    # Jump back to image selection: step 4 and 5 state is discarded, the images are still there.
    await answer_select(run, None, option="change_image")
    assert run.position["step"] == 2
    for key in ("selected_image_data", "image_analysis", "selected_motion_elements", "video_prompts"):
        assert key not in run.state
    assert "image_prompts" in run.state
    inter = await run.pending()
    assert len((await run.pending()).display["generations"]) == 2  # nothing already made is lost
    await run.answer(inter.interaction_id, {"select": 0})  # the Leonardo image this time
    second_image = run.state["selected_image_data"]
    assert second_image["provider"] == "leonardo" and second_image != first_image
    await answer_select(run, [1])

    # Step 5 again: the old video was made from the other image, so it is not offered here.
    inter = await run.pending()
    assert inter.display["source_image"]["content_id"] == second_image["content_id"]
    assert inter.display["generations"] == []
    submits_before = providers.submits()
    job_id = await run.sub_action(inter.interaction_id, "generate", "sora", {"duration": "4"})
    # Wait until the provider has the job, then close in the middle of the generation.
    for _ in range(200):
        job = await engine.services.store.get_job(job_id)
        if job.provider_job_id:
            break
        await __import__("asyncio").sleep(0.01)
    assert job.status in ("submitted", "running")
    await engine.close()

    # Resume: same pending interaction with its stored resolved inputs; the job finishes without
    # a second submit.
    engine = await open_engine(tmp_path, providers)
    run = await engine.open_run(run_id)
    resumed = await run.pending()
    assert resumed.interaction_id == inter.interaction_id
    assert resumed.resolved_inputs == inter.resolved_inputs
    await engine.services.jobs.wait(timeout=10)
    assert providers.submits() == submits_before + 1
    gens = (await run.pending()).display["generations"]
    assert [(g["tab"], g["status"]) for g in gens] == [("sora", "completed")]
    assert Path(gens[0]["items"][0]["metadata"]["poster_path"]).is_file()
    await run.answer(resumed.interaction_id, {"select": 0})
    video = run.state["selected_video_data"]
    assert video["kind"] == "video" and video["prompt_key"] == "sora"
    assert video["metadata"]["source_content_id"] == second_image["content_id"]

    # Steps 6-7.
    await answer_select(run, [2])
    await answer_select(run, [0])
    await answer_select(run, [1])
    # Step 8: the narration as the LLM wrote it (an empty answer keeps it), then a voice.
    inter = await run.pending()
    assert inter.module_name == "review_narration" and inter.display["default"] == run.state["narration_draft"]["narration"]
    await run.answer(inter.interaction_id, {"text": ""})
    assert run.state["narration_text"] == run.state["narration_draft"]["narration"]
    inter = await run.pending()
    assert inter.module_name == "generate_narration" and inter.display["optional"] is True
    await generate(engine, run, "elevenlabs")
    await run.answer(inter.interaction_id, {"select": 0})
    assert run.state["selected_narration"]["metadata"]["words"]
    # Step 9.
    await answer_select(run, [0])
    await answer_select(run, [1])
    # The soundtrack is optional: skipping it still completes the step with its prompts.
    inter = await run.pending()
    assert inter.module_name == "generate_music" and inter.display["optional"] is True
    assert inter.display["data"]["elevenlabs"] == run.state["selected_music_prompt"]
    status = await run.answer(inter.interaction_id, {"skip": True})
    assert status == "waiting"

    # Step 10: the render form, pre-filled from the run; a bad value is refused before ffmpeg runs.
    inter = await run.pending()
    assert inter.module_name == "assemble_video" and inter.kind == "assemble"
    lines = run.state["selected_text_overlay"]["lines"]
    assert [c["text"] for c in inter.display["cues"]] == lines
    assert inter.display["duration"] == run.state["duration_selection"]["video_duration"]
    assert inter.display["prefill"]["music_source"] == "none"  # the soundtrack was skipped
    assert inter.display["prefill"]["narration_source"] == "generated"  # and the voice was made
    assert inter.display["prefill"]["caption_style"] == "words"
    with pytest.raises(AnswerError, match="Captions: they follow the narration's words, and this render has no "
                                          "narration; choose Off"):
        await run.answer(inter.interaction_id, {"values": {"narration_source": "none"}})
    with pytest.raises(AnswerError, match=r"Voice volume \(%\): 250 is outside 0..200"):
        await run.answer(inter.interaction_id, {"values": {"voice_volume": 250}})
    with pytest.raises(AnswerError, match="Music: no soundtrack was generated"):
        await run.answer(inter.interaction_id, {"values": {"music_source": "generated"}})
    with pytest.raises(AnswerError, match="Loop: 'bounce' is not one of"):
        await run.answer(inter.interaction_id, {"values": {"loop_mode": "bounce"}})
    with pytest.raises(AnswerError, match="Encoding: 'fastest' is not one of standard, draft, small, detailed"):
        await run.answer(inter.interaction_id, {"values": {"encoding": "fastest"}})
    status = await run.answer(inter.interaction_id, {"values": {"loop_mode": "loop", "encoding": "small"}})
    assert status == "completed"

    # Final state, key by key.
    s = run.state
    assert s["pet_type_selection"]["label"].lower().startswith("dog")
    assert s["aesthetic_selection_indices"] == ["aesthetics", 2] and s["duration_selection_indices"] == ["durations", 0]
    assert s["selected_scene"] == s["scene_concepts"]["scenes"][1]
    assert s["selected_image_id"] == second_image["content_id"]
    assert s["selected_motion_element_indices"] == [["detected", 1]]
    assert s["selected_video_id"] == video["content_id"]
    assert len(s["video_generations"]) == 1
    assert s["selected_text_overlay"] == s["text_overlays"]["sets"][2]
    assert s["selected_title"] == s["titles_social_response"]["titles"][0]
    assert s["selected_description"] == s["titles_social_response"]["descriptions"][1]
    assert s["selected_music_option"] == s["music_options_response"]["options"][0]
    assert s["selected_music_prompt"] == s["music_prompts"]["prompts"][1]
    assert s["selected_music_track"] is None and s["music_generations"] == []
    summary = s["workflow_summary_text"]
    for text in (s["selected_scene"]["title"], s["selected_title"], s["selected_music_prompt"]["prompt"],
                 s["narration_text"], "the narration voice; captions word by word"):
        assert text in summary
    export = Path(s["summary_file_path"])
    assert export.read_text(encoding="utf-8") == summary
    assert sorted(p.name for p in export.parent.iterdir()) == [
        "captions.ass", "captions.srt", "captions.txt", "clip.mp4", "costs.json", "cover.jpg", "final.mp4",
        "narration.txt", "narration.wav", "overlays.srt", "run.json", "source_image.png", "summary.md"]
    # The fake voice times five words from 0.2 s apart; the export's SRT has them as phrases.
    assert "00:00:00,000 --> " in (export.parent / "captions.srt").read_text(encoding="utf-8")
    final = s["final_video"]
    assert (final["width"], final["height"], final["loop_mode"]) == (1080, 1920, "loop")
    # The encoding chosen is the one x264 used: it writes its settings into the stream.
    assert final["encoding"] == "small"
    assert b"crf=25.0" in Path(final["path"]).read_bytes()
    assert abs(final["duration"] - s["duration_selection"]["video_duration"]) <= 0.1
    assert s["assembly_settings"]["music_source"] == "none" and s["assembly_settings"]["music_path"] is None

    # The log keeps the discarded branch.
    events = await engine.services.store.events(run_id)
    types = [e.type for e in events]
    assert types[0] == "run_started" and types[-1] == "run_completed"
    jump = next(e for e in events if e.type == "jump")
    assert jump.data["discarded"]["selected_image_data"] == first_image
    retry = next(e for e in events if e.type == "retry")
    assert retry.data["feedback"] == "Make it rainy and funnier"
    await engine.close()


def test_form_values_check_enum_range_and_step():
    from cctui.engine.forms import FormError, form_values

    tab = {"_ux": {"input_schema": {"properties": {
        "_text": {"type": "string", "destination_field": "prompt", "_ux": {"source_field": "positive_prompt"}},
        "width": {"type": "integer", "minimum": 512, "maximum": 1536, "step": 8, "default": 576},
        "size": {"type": "string", "enum": ["a", "b"], "default": "a"},
    }}}}
    assert form_values(tab, {"positive_prompt": "cat"}, {}) == {"prompt": "cat", "width": 576, "size": "a"}
    assert form_values(tab, {"positive_prompt": "cat"}, {"width": "1024"})["width"] == 1024
    for override, message in [({"width": 580}, "multiple of 8"), ({"width": 2000}, "outside"),
                              ({"size": "c"}, "not one of"), ({"_text": "  "}, "prompt is empty"),
                              ({"width": "wide"}, "not a valid integer")]:
        with pytest.raises(FormError, match=message):
            form_values(tab, {"positive_prompt": "cat"}, override)


async def test_status_fields_and_what_a_jump_would_discard(tmp_path, cc_workflow):
    engine = await open_engine(tmp_path, FakeProviders())
    run = await engine.new_run(cc_workflow)
    await run.advance()
    fields = dict(run.status_fields())
    assert fields["Pet"] == "" and fields["Step"] == "Step 1: Pet, Style & Length"
    await answer_select(run, [0])
    assert dict(run.status_fields())["Pet"] == run.state["pet_type_selection"]["label"]
    assert sorted(run.keys_discarded_by("user_input", "select_pet_type")) == ["pet_type_selection",
                                                                          "pet_type_selection_indices"]
    assert run.keys_discarded_by("user_input", "select_aesthetic") == []
    await engine.close()
