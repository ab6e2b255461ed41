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
