"""The history's one-line answers: a skipped optional text says so, not "(answered)"."""

from cctui.engine.answer_text import outputs_text


def test_an_empty_text_answer_reads_left_empty():
    assert outputs_text({"value": ""}) == "(left empty)"
    assert outputs_text({"text": None, "_raw": "x"}) == "(left empty)"


def test_other_answers_keep_their_words():
    assert outputs_text({"text": "Miso and her  yellow duck"}) == "Miso and her yellow duck"
    assert outputs_text({"selected_indices": [0]}) == "(answered)"  # a position: the module says more
    assert outputs_text({"confirmed": True}) == "yes"
