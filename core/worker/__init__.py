"""What the faust worker's agents share: the webhook agent (``streams/agents.py``) and
the executor agent (``actions/agent.py``) run in one worker process (``hookline worker``)
and take the same :class:`~core.worker.services.WorkerServices` (config view, producer,
state stores, HTTP session), read and write topics the same way (:mod:`core.worker.wire`)
and keep their state in compacted topics (:mod:`core.worker.store`).

In the base layer so that neither stage imports the other. Imports faust: only the
worker loads this package."""
