"""``gradio-lossless audit``: feed an image through a running app's endpoint, hop
after hop, and judge what it loses.

``command`` is the command line (light to import); ``endpoint`` drives the app with
``gradio_client``, ``chain`` runs the hops, ``served`` reads what the app served,
``judge`` picks the judgement and the verdict, ``fidelity`` compares images,
``report`` prints and writes the results, ``plot`` draws PSNR per hop.
"""
