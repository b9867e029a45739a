"""``python -m hookline.cli``: the ``hookline`` command (how ``hookline dev`` starts its
worker, and how tests start processes)."""

from hookline.cli import main

main()
