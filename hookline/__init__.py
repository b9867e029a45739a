"""hookline: the glue around the pipeline stages (CLI, settings, API, history,
embedded mode). The stages themselves live in ingest/, streams/ and actions/."""

__version__ = "0.1.0"
