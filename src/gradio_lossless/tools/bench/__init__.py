"""``gradio-lossless bench``: gradio_lossless against stock Gradio, measured in one
run (see ``command.py``)."""
