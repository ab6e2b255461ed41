from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

WORKFLOW = ROOT / "workflows" / "cc"


@pytest.fixture
def cc_workflow() -> Path:
    return WORKFLOW


@pytest.fixture
async def fake_engine(tmp_path):
    """An engine on a fresh database in tmp_path, with the in-process fake providers."""
    from cctui.engine.engine import Engine
    from fakes import FakeProviders

    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    yield engine
    await engine.close()


# CI runs a slice; `pytest --full` runs everything, the suites marked slow included.
def pytest_addoption(parser):
    parser.addoption("--full", action="store_true",
                     help="also run the long suites marked slow (left out of the CI slice)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long suite left out of the CI slice; `pytest --full` runs it")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="slow suite: run with `pytest --full`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def standin(tmp_path):
    """The provider stand-in, taking any key (as `--demo` runs it), its jobs done in 0.3 s; a
    folder's own conftest or module may define `standin` differently (with keys it checks)."""
    from cctui.standin import StandIn

    server = StandIn(keys=None, job_seconds=0.3, data_dir=tmp_path / "standin")
    server.start()
    yield server
    server.stop()
