"""serving: what the browser's image loads of our files get.

An ``<img>`` needs an image's pixels only to show them, so a pure-ASGI middleware
(``middleware``) answers the image loads of the exact PNGs the store serves with a
small display rendition (``renditions``), and every other request (the download
button, ``gradio_client``, ``fetch``, curl) with the exact file, untouched, from
the same URL. Which requests are image loads, and which paths are Gradio's file
route, is ``negotiate``; which files are a value's served file, and what an image
load of one gets (the same rule, for the demo and the bench), is ``image_load``.

Imports store, codecs and core; never gradio (the hook that puts the middleware on
Gradio's apps is ``components/_display.py``).
"""
