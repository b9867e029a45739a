"""The wire contract: every record that crosses a process boundary.

One module per family; topic names with their key and value types are declared
once, in :mod:`schemas.topics`.
"""
