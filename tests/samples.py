"""Real platform payloads shared by the team, in ``/work/shared/samples/*.json``.

Each sample has ``platform``, ``content_type``, ``body`` (a JSON value for JSON
platforms, the raw string for form platforms) and, when it describes a lead,
``paths`` (jmespath for event, name, phone, email; null when the platform
does not send it).

The directory is ``<repo>/../shared/samples`` unless ``HOOKLINE_SAMPLES_DIR``
says otherwise. Locally a missing directory skips the tests that need it; with
``CI=true`` it is an error, so CI can never go green by testing nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.samples import samples_dir
from tests.ci import in_ci, unavailable


@dataclass(frozen=True)
class Sample:
    name: str
    platform: str
    content_type: str
    body: Any
    paths: dict[str, str | None]
    doc: dict[str, Any]

    @property
    def raw(self) -> bytes:
        """The body as the platform sends it on the wire."""
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def require_samples_dir() -> Path:
    """The samples directory; when it is missing, a failure under CI and a skip elsewhere."""
    directory = samples_dir()
    if not directory.is_dir():
        unavailable(f"samples directory {directory} is missing (set HOOKLINE_SAMPLES_DIR)")
    return directory


def load_samples(*, with_paths: bool = True) -> list[Sample]:
    """Every sample (only those with ``paths`` by default); raises when there are none."""
    directory = samples_dir()
    if not directory.is_dir():
        raise FileNotFoundError(f"samples directory not found: {directory}")
    samples = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if with_paths and not doc.get("paths"):
            continue
        samples.append(
            Sample(
                name=path.name,
                platform=doc["platform"],
                content_type=doc["content_type"],
                body=doc["body"],
                paths=doc.get("paths") or {},
                doc=doc,
            )
        )
    if not samples:
        raise FileNotFoundError(f"no usable *.json samples in {directory}")
    return samples


def sample_params(*, with_paths: bool = True) -> list[Any]:
    """``pytest.mark.parametrize`` values: one per sample, ids = file names.

    Missing samples: an error under CI (collection fails), a visible skip elsewhere.
    """
    try:
        samples = load_samples(with_paths=with_paths)
    except FileNotFoundError as exc:
        if in_ci():
            raise
        return [pytest.param(None, marks=pytest.mark.skip(reason=str(exc)), id="no-samples")]
    return [pytest.param(sample, id=sample.name) for sample in samples]
