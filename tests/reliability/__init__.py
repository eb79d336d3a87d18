"""Reliability: soak, faults, several processes, fuzzing (issue 7)."""
