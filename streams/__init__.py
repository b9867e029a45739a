"""The streams stage: mapping, phone normalisation, event matching, commands.

Pure functions (``phone``, ``mapping``, ``templates``, ``process``) are kept apart from
the faust agents so they can be unit-tested and reused by ``hookline preview`` without
importing faust or touching Kafka. What the webhook agent shares with the executor agent
of ``actions/`` (services, the wire, state stores) is in the base layer, ``core/worker/``;
body parsing is in ``core/body.py`` (the gateway reads delivery ids from bodies too).
This package init imports nothing on purpose.
"""
