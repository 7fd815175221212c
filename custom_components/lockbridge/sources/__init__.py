"""Booking sources: one module per cloud behind `base.py`, found through `registry.py`."""
