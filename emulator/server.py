"""Run the patched emulator in its own process: `python -m emulator.server PORT` (from the project root).

A process per end-to-end flow keeps each flow's AWS state apart (moto's
backends are process-wide) and lets flows run side by side on both cores.
The environment sets how strict it is (emulator/__init__.py, `Emulator`):
OCP_EMULATOR_STRICT=0 turns AWS's refusals, delays and faults off (for
debugging only), OCP_EMULATOR_FAULT_RATE and OCP_EMULATOR_FAULT_SEED set the
faults, OCP_EMULATOR_PROFILE_DELAY the instance profiles' propagation delay.
"""
from __future__ import annotations

import logging
import os
import sys

from emulator import DEFAULT_FAULT_RATE, DEFAULT_FAULT_SEED, patches


def main(port: int) -> None:
    strict = os.environ.get("OCP_EMULATOR_STRICT", "1") != "0"
    patches.apply_patches(strict=strict)
    if strict:
        patches.FAULTS.rate = float(os.environ.get("OCP_EMULATOR_FAULT_RATE", DEFAULT_FAULT_RATE))
        patches.FAULTS.seed = int(os.environ.get("OCP_EMULATOR_FAULT_SEED", DEFAULT_FAULT_SEED))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the harness closes our stdin (or dies)
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
