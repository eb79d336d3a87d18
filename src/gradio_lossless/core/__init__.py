"""core: values and what identifies them. Exact conversions between PIL images and
arrays (``conversions``), a value described once (``described``), keyed addresses
and MACs (``keys``), metadata caps (``limits``), settings, types and errors.

No gradio, no I/O beyond reading settings; imports nothing else of this package.
"""
