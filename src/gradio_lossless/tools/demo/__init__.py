"""``gradio-lossless demo``: ``command`` parses, ``app`` builds the Gradio app."""
