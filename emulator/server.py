"""Run the patched emulator in its own process: `python -m emulator.server PORT` (from the project root).

A process per end-to-end flow keeps each flow's AWS state apart (moto's
backends are process-wide) and lets flows run side by side on both cores.
"""
from __future__ import annotations

import logging
import sys

from emulator.patches import apply_patches


def main(port: int) -> None:
    apply_patches()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the harness closes our stdin (or dies)
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
