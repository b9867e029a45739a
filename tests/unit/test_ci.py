"""Under CI=true a missing test dependency fails the run; elsewhere it skips."""

from __future__ import annotations

import pytest

from tests.ci import unavailable
from tests.samples import require_samples_dir


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_missing_dependency_fails_in_ci(monkeypatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        unavailable("no broker")


def test_missing_dependency_skips_elsewhere(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no broker"):
        unavailable("no broker")


def test_missing_samples_directory_fails_in_ci(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("HOOKLINE_SAMPLES_DIR", str(tmp_path / "absent"))
    with pytest.raises(pytest.fail.Exception, match="samples directory"):
        require_samples_dir()


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```sh\n")
    # The second block at the top of the README is the test command.
    test_command = blocks[2].split("\n```")[0].strip()
    assert ".venv/bin/pytest" in test_command
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1].strip() == test_command
