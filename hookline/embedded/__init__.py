"""Embedded mode: the tansu broker process and the one-command ``hookline dev`` runner."""
