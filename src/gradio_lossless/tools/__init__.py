"""tools: the command-line tools, one package each (``demo``, ``lab``, ``audit``,
``bench``), installed with the ``tools`` extra. Each ``<tool>/command.py`` imports
only the standard library at module level (``cli.py`` builds every parser from
them); the work is imported when the command runs.
"""
