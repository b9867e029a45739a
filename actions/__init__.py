"""Executors: apply action commands to leads (tags, fields) and hand send
actions to a message channel. Each command is applied at most once."""
