"""The guest at the door: lock activity, check-ins, the unit's day and the locks' health."""
