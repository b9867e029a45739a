"""The base layer: what the stages (``ingest/``, ``streams/``, ``actions/``) and the
applications (``hookline/``) build on. Settings, logs, metrics, credential masking, Kafka
plumbing, the config view every process keeps, the embedded mode's journal, the HTTP
request context, body parsing and mapping sources, and what the worker's agents share.

It imports ``schemas/`` and ``platforms/`` only, never a stage nor an application
(``tests/unit/test_layers.py``). This package init imports nothing on purpose:
``hookline preview`` loads only what it uses (no faust, no Kafka).
"""
