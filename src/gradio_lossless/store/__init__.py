"""store: exact values by address. Memory (LRU, byte-bounded) and the work budget
(``memory``), value folders on disk (``disk``), a backend replicas share
(``shared``: a folder or Redis), the server secret (``secret``), known objects
(``identity``), and the ``Store`` that ties them together (``store``).

Imports core and codecs; never gradio.
"""
