"""The dev stack: the simulators and a real Home Assistant, set up through its own API.

``python -m tests.devstack`` is what ``scripts/develop`` runs; ``tests/e2e`` runs it headless.
"""
