"""Config: records on the compacted topic ``hookline.config`` and the in-memory
view every process builds from it."""
