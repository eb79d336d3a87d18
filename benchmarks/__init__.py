"""Soak and long runs; never collected by pytest (the test suite imports ``soak``)."""
