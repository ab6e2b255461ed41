"""Bounded work: a `$ref` fan-out, a template, an answers file or a provider's job id can ask for
unbounded time, memory or a URL of its choosing; each is stopped at a named limit, quickly."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

from cctui.batch import BatchError, load_answers
from cctui.cli import main
from cctui.engine.engine import load
from cctui.jobs.statuses import PROVIDER_ENDED_KINDS, TRANSIENT_KINDS
from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.leonardo import LeonardoClient, checked_generation_id
from cctui.providers.sora import SoraClient, checked_video_id
from cctui.settings import Settings
from cctui.workflow import refs, template_limits
from cctui.workflow.errors import WorkflowError
from cctui.workflow.templates import TemplateError, build_context, render_string

BASE = Path(__file__).resolve().parent.parent / "corpus" / "valid_base"
CC = Path(__file__).resolve().parents[2] / "workflows" / "cc"

# --------------------------------------------------------------------------- $ref fan-out


def ref_bomb(tmp_path: Path, pad: int) -> Path:
    """The valid base plus 7 files of 10 refs each to the next: 10**7 copies when resolved."""
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    for level in range(7):
        body: dict = {"pad": "x" * pad}
        if level < 6:
            body["refs"] = [{"$ref": f"l{level + 1}.json"} for _ in range(10)]
        (root / f"l{level}.json").write_text(json.dumps(body))
    wf = json.loads((root / "workflow_v3.json").read_text())
    wf["bomb"] = {"$ref": "l0.json"}
    (root / "workflow_v3.json").write_text(json.dumps(wf))
    return root


@pytest.mark.parametrize("pad, limit", [(1, f"{refs.MAX_NODES:,} JSON values"),
                                        (12_000, f"{refs.MAX_CHARS:,} characters of text")])
def test_a_ref_fan_out_stops_at_the_limit_naming_the_chain(tmp_path, pad, limit):
    root = ref_bomb(tmp_path, pad)
    started = time.monotonic()
    with pytest.raises(WorkflowError) as info:
        load(root)
    assert time.monotonic() - started < 10  # about 0.5 s; unbounded it ran 75 s at 3.3 GB
    message = str(info.value)
    assert f"larger than the limit of {limit}" in message
    assert "crossed while expanding wf/workflow_v3.json $.bomb['$ref'] -> wf/l0.json $.refs[" in message
    assert "wf/l5.json $.refs[" in message


def test_validate_prints_the_ref_limit_as_one_error_line(tmp_path, capsys):
    assert main(["validate", str(ref_bomb(tmp_path, 1))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "limit of" in err
    assert "Traceback" not in err


def test_the_cc_workflow_is_far_below_the_ref_limits():
    resolver = refs.RefResolver(CC)
    resolver.load_json(CC / "workflow_v3.json")
    assert resolver.nodes * 10 < refs.MAX_NODES and resolver.chars * 10 < refs.MAX_CHARS
    assert load(CC).steps


# --------------------------------------------------------------------------- templates

BIG = "'x' * 1000000"
TEMPLATE_BOMBS = {
    "ljust": "{{ 'x'.ljust(20000000) | length }}",
    "rjust": "{{ 'x'.rjust(10 ** 12) | length }}",
    "center": "{{ 'x'.center(20000000) | length }}",
    "center filter": "{{ 'x' | center(20000000) | length }}",
    "zfill": "{{ '1'.zfill(20000000) | length }}",
    "format": "{{ ('{0}' * 20).format(" + BIG + ") | length }}",
    "format_map": "{{ ('{a}' * 20).format_map({'a': " + BIG + "}) | length }}",
    "format filter": "{% set a = " + BIG + " %}{{ '%s%s%s' | format(a, a, a) | length }}",
    "percent": "{% set a = " + BIG + " %}{{ ('%s%s%s' % (a, a, a)) | length }}",
    "replace": "{{ ('x' * 5000).replace('', 'y' * 4000) | length }}",
    "replace filter": "{{ ('x' * 5000) | replace('x', 'y' * 4000) | length }}",
    "indent": "{{ ('\\n' * 5000) | indent(4000) | length }}",
    "indent string": "{{ ('\\n' * 5000) | indent('y' * 4000) | length }}",
    "expandtabs": "{{ ('\\t' * 5000).expandtabs(4000) | length }}",
    "join method": "{{ ('y' * 100000).join(['x'] * 200) | length }}",
    "join filter": "{{ (['x'] * 200000) | join('y' * 1000) | length }}",
    "join literal": "{% set a = " + BIG + " %}{{ [a, a, a] | join | length }}",
    "wordwrap": "{{ ('a ' * 100000) | wordwrap(1, wrapstring='z' * 1000) | length }}",
    "translate": "{{ ('x' * 10000).translate({120: 'y' * 10000}) | length }}",
    "repeat": "{{ ('x' * 1000) * 100000 }}",
    "repeat nested list": "{{ ((['x' * 1000] * 1000) * 1000) | length }}",
    "concat ~": "{% set a = " + BIG + " %}{{ (a ~ a) | length }}",
    "concat ~ doubling": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
                         "{% endfor %}{{ ns.s | length }}",
    "plus doubling": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
                     "{% endfor %}{{ ns.s | length }}",
    "str of a list": "{% set a = 'x' * 900000 %}{{ [a, a, a, a, a] }}",
    "tojson indent": "{% set a = [[[[[[[[[[1]]]]]]]]]] %}{{ ([a] * 10000) | tojson(indent=1000) | length }}",
    "batch fill": "{{ [1] | batch(10 ** 9, 'x') | list | length }}",
    "slice": "{{ [1] | slice(10 ** 9) | list | length }}",
    "sum of lists": "{{ ([[1]] * 100000) | sum(start=[]) | length }}",
    "lipsum": "{{ lipsum(10 ** 6) | length }}",
    "range": "{{ range(10 ** 12) | length }}",
    "nested for": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested for with text": "{% for i in range(100000) %}{% for j in range(100000) %}abc{% endfor %}{% endfor %}",
    "loop of constants": "{% for i in range(100000) %}{{ '" + "x" * 100 + "' }}{% endfor %}",
    "set block capture": "{% set a = 'x' * 900000 %}{% set b %}{% for i in range(100000) %}{{ a }}"
                         "{% endfor %}{% endset %}{{ b | length }}",
    "recursive macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
}


@pytest.mark.parametrize("template", TEMPLATE_BOMBS.values(), ids=TEMPLATE_BOMBS.keys())
def test_a_template_stops_at_a_named_limit(template):
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        value = render_string(template, build_context({}), "steps/2_write/prompts/user.txt")
        pytest.fail(f"rendered {str(value)[:80]}")
    assert time.monotonic() - started < 10  # well under 2 s; unbounded these take GBs or hours
    message = str(info.value)
    assert message.startswith("steps/2_write/prompts/user.txt: refused by the template sandbox: ")
    assert "limit of " in message or "is not allowed" in message, message


def test_the_limits_are_the_documented_numbers():
    assert str(info_of("{{ 'x'.ljust(20000000) }}")).endswith(
        "the result of ljust() would be longer than the limit of 1,000,000 characters (or items)")
    assert str(info_of(TEMPLATE_BOMBS["nested for"])).endswith(
        f"more than the limit of {template_limits.MAX_STEPS:,} loop iterations and calls in one template")
    assert str(info_of(TEMPLATE_BOMBS["set block capture"])).endswith(
        f"more than the limit of {template_limits.MAX_OUTPUT:,} characters of output in one template")


def info_of(template: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        render_string(template, build_context({}), "t.txt")
    return info.value


@pytest.mark.parametrize("template, expected", [
    ("{{ 'ab'.ljust(5, '.') }}", "ab..."),
    ("{{ state.items | join(', ') }}", "a, b"),
    ("{% for x in state.items %}{% for y in range(3) %}{{ x }}{{ y }}{% endfor %}{% endfor %}", "a0a1a2b0b1b2"),
    ("{{ state.text | wordwrap(5) | indent(2) }}", "one\n  two\n  three"),
    ("{{ 'a' ~ state.items[0] ~ '%s' | format(1) }}", "aa1"),
    ("{{ '{}-{}'.format(state.items[0], 2) }}", "a-2"),
    ("{{ state.items | tojson(indent=2) }}", '[\n  "a",\n  "b"\n]'),
    ("{{ ('x' * 1000) | length }}", "1000"),
])
def test_ordinary_templates_still_render(template, expected):
    state = {"items": ["a", "b"], "text": "one two three"}
    assert str(render_string(template, build_context(state), "t.txt")) == expected


# --------------------------------------------------------------------------- answers file


def test_a_big_answers_file_is_refused_by_size(tmp_path):
    big = tmp_path / "answers.json"
    big.write_text('{"a": "' + "x" * (5 * 1024 * 1024) + '"}')
    with pytest.raises(BatchError, match=r"answers\.json: the answers file is larger than the limit of 4 MB"):
        load_answers(big)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_as_answers_fails_fast():
    started = time.monotonic()
    with pytest.raises(BatchError, match="^/dev/zero: the answers file is larger than the limit of 4 MB"):
        load_answers(Path("/dev/zero"))
    assert time.monotonic() - started < 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_without_a_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    with pytest.raises(BatchError, match="invalid JSON"):
        load_answers(fifo)


def test_a_small_answers_file_still_loads(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"pick_pet": {"select": 0}}')
    assert load_answers(path) == {"pick_pet": {"select": 0}}


# --------------------------------------------------------------------------- provider job ids

HOSTILE_IDS = ["../../v1/me", "abc\x1b[2Jdef", f"{uuid.uuid4()}/../x", f"{uuid.uuid4()}\n", "", "video_a?b=c"]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_an_id_not_of_the_providers_shape_is_refused(bad):
    for check in (checked_generation_id, checked_video_id):
        with pytest.raises(ProviderError) as info:
            check(bad)
        error = info.value
        assert "answered a job id that is not of its shape" in error.message
        assert repr(bad)[1:-1] in error.message and "\x1b" not in error.message and "\n" not in error.message
        # the job ends with this answer: not retried, and a new request is a new job
        assert error.kind not in TRANSIENT_KINDS and error.kind in PROVIDER_ENDED_KINDS


def test_the_ids_the_providers_make_are_accepted():
    some = str(uuid.uuid4())
    assert checked_generation_id(some) == some and checked_generation_id(some.upper())
    for vid in ("video_68d2f1a0c8e48190b7bb6f6e5d9b1a7e", f"video_{uuid.uuid4().hex}", "video_a-b_C9"):
        assert checked_video_id(vid) == vid


@pytest.fixture
def standin(tmp_path):
    from cctui.standin import StandIn

    keys = {"openai": "sk-test", "leonardo": "leo-test", "elevenlabs": "el-test"}
    srv = StandIn(keys=dict(keys), job_seconds=0.2, data_dir=tmp_path / "standin")
    srv.start()
    try:
        yield srv, Settings(data_dir=tmp_path / "data", openai_api_key=keys["openai"],
                            openai_base_url=srv.base_urls["openai"], leonardo_api_key=keys["leonardo"],
                            leonardo_base_url=srv.base_urls["leonardo"], sora_base_url=srv.base_urls["sora"])
    finally:
        srv.stop()


def request(tmp_path: Path, provider: str) -> MediaRequest:
    return MediaRequest(action="txt2img", provider=provider, params={"prompt": "A corgi", "width": 576,
                                                                     "height": 1024, "num_images": 1},
                        media_dir=str(tmp_path), stem="run1")


async def test_leonardo_sends_no_request_for_a_hostile_id(standin, tmp_path):
    srv, settings = standin
    client = LeonardoClient(settings)
    try:
        good = await client.submit(request(tmp_path, "leonardo"))
        assert (await client.poll(good.provider_job_id, request(tmp_path, "leonardo"))).status
        before = len(srv.requests)
        for bad in ("../../v1/me", f"{good.provider_job_id}\x1b[2J"):
            for call in (client.poll, client.download):
                with pytest.raises(ProviderError, match="Leonardo answered a job id that is not of its shape"):
                    await call(bad, request(tmp_path, "leonardo"))
        assert len(srv.requests) == before

        async def hostile_answer(*args, **kwargs):
            return {"sdGenerationJob": {"generationId": "../../x\x1b]0;owned\x07", "apiCreditCost": 1}}

        client._call = hostile_answer
        with pytest.raises(ProviderError) as info:
            await client.submit(request(tmp_path, "leonardo"))
        assert info.value.kind == "not_found" and "\x1b" not in info.value.message
    finally:
        await client.aclose()


async def test_sora_sends_no_request_for_a_hostile_id(standin, tmp_path):
    srv, settings = standin
    client = SoraClient(settings)
    try:
        before = len(srv.requests)
        for bad in ("../../v1/me", "video_1\x1b[2J", "video_1/../../files"):
            for call in (client.poll, client.download):
                with pytest.raises(ProviderError, match=r"Sora answered a job id that is not of its shape"):
                    await call(bad, request(tmp_path, "openai"))
        assert len(srv.requests) == before
    finally:
        await client.aclose()
