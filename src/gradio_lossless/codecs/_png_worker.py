"""The loop a PNG worker process runs (``png_workers.py`` starts it).

Imports numpy and fpng only. Protocol, over stdin and stdout: a request is
``REQUEST`` (height, width, channels, size of the shared memory to
map); the reply is the PNG's length (8 bytes, little-endian; 0 when fpng refused
the image); the pixels are mapped from the shared-memory file whose descriptor is
the last argument, and the PNG is written into that file right after them. End of
input ends the worker.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys

REQUEST = struct.Struct("<IIIQ")
REPLY = struct.Struct("<Q")


def main() -> None:
    import fpng  # a worker is only started when fpng imports in its parent
    import numpy as np

    fd = int(sys.argv[-1])
    read, write = sys.stdin.buffer, sys.stdout.buffer
    while True:
        request = read.read(REQUEST.size)
        if len(request) != REQUEST.size:
            return
        height, width, channels, size = REQUEST.unpack(request)
        try:
            with mmap.mmap(fd, size, prot=mmap.PROT_READ) as shared:
                pixels = np.frombuffer(shared, np.uint8, height * width * channels)
                png = fpng.from_ndarray(pixels.reshape(height, width, channels))
                del pixels
        except (ValueError, OSError, RuntimeError, AttributeError):
            png = b""
        view, done = memoryview(png), 0
        try:
            while done < len(view):
                done += os.pwrite(fd, view[done:], size + done)
        except OSError:
            view = memoryview(b"")
        write.write(REPLY.pack(len(view)))
        write.flush()


if __name__ == "__main__":
    main()
