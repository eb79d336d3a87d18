"""The gradio-lossless demo as a plain Gradio app.

python demo/app.py        # or: gradio demo/app.py (auto-reload), gradio-lossless demo
"""

from gradio_lossless.tools.demo.app import build_demo

demo = build_demo()

if __name__ == "__main__":
    demo.launch()
