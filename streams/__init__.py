"""The streams stage: mapping, phone normalisation, event matching, commands.

Pure functions (``body``, ``phone``, ``mapping``) are kept apart from the faust
agents so they can be unit-tested and reused by ``hookline preview`` without
importing faust or touching Kafka. This package init imports nothing on purpose.
"""
