"""``gradio-lossless audit``: feed an image through a running app's endpoint, hop
after hop, and measure what it loses.

``command`` is the command line (light to import); ``fidelity`` compares images,
``endpoint`` drives the app with ``gradio_client``, ``plot`` draws PSNR per hop.
"""
