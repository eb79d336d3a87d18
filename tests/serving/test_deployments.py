"""Zero setup: the same app serves renditions to image loads and the exact file to
everyone else whether it is started with ``demo.launch()``, mounted into a FastAPI
app with ``gr.mount_gradio_app`` (under uvicorn, at /sub), or launched with SSR
(Node in front of Python). No code beyond building the app with lossless
components.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradio_lossless.serving.middleware import Renditions
from tests.serving.apps import FETCH, IMAGE_LOAD, VARY, serving_app
from tests.serving.conftest import deployed, served_path

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("mode", ["launch", "mount", "ssr"])
def test_every_way_of_serving_an_app(mode: str) -> None:
    demo = serving_app()
    with deployed(mode, demo) as served:
        (filedata,) = served.call("hd")
        url = served.file_url(filedata)
        exact = served_path(filedata).read_bytes()

        shown = served.get(url, IMAGE_LOAD)
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "image/webp"
        assert shown.headers["vary"] == VARY
        for headers in ({}, FETCH):
            r = served.get(url, headers)
            assert r.headers["content-type"] == "image/png"
            assert r.headers["vary"] == VARY
            assert r.content == exact
        assert Path(served.client.predict(api_name="/hd")).read_bytes() == exact
        # the middleware sits inside Gradio's own (CORS, Brotli): once per app
        classes = [m.cls for m in served.app.user_middleware]
        assert classes.count(Renditions) == 1
        assert classes.index(Renditions) == len(classes) - 1
