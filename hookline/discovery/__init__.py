"""Discovery: learn a webhook's shape from the payloads it sends.

- :func:`infer_structure` / :func:`merge`: the paths seen across recent payloads;
- :func:`suggest_mapping`: a proposed :class:`~schemas.mapping.Mapping` with confidences;
- :func:`detect_platform`: which preset a request most likely comes from;
- :func:`check_mapping`: how a mapping fares on recent payloads, and
  :func:`unresolved_warning`: the required fields it finds on none of them.

All pure; ``python bench/discovery.py`` measures the suggestions on the shared
samples.
"""

from hookline.discovery.check import MappingCheck, check_mapping, unresolved_warning
from hookline.discovery.detect import Detection, detect_platform
from hookline.discovery.structure import (
    PathStats,
    Structure,
    infer_structure,
    merge,
    parent_path,
)
from hookline.discovery.suggest import (
    FieldSuggestion,
    IncompleteSuggestionError,
    Suggestion,
    suggest_mapping,
)

__all__ = [
    "Detection",
    "FieldSuggestion",
    "IncompleteSuggestionError",
    "MappingCheck",
    "PathStats",
    "Structure",
    "Suggestion",
    "check_mapping",
    "detect_platform",
    "infer_structure",
    "merge",
    "parent_path",
    "suggest_mapping",
    "unresolved_warning",
]
