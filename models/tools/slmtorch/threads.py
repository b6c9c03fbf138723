"""One thread count for every BLAS in the process.

Debian's torch 1.13 multiplies matrices with OpenBLAS's pthread build, whose own thread pool ignores
``torch.set_num_threads``: with ``--threads 1`` a second OpenBLAS thread still ran (and spun) beside each
training. On the shared 2-core machine a nano-llama-tools step took 4 s that way and 0.65 s with OpenBLAS held to
one thread (2026-12-06). ``set_threads`` caps both pools; the trainers call it instead of torch.set_num_threads.
"""
import ctypes
from typing import Optional

import torch


def openblas() -> Optional[ctypes.CDLL]:
    """The OpenBLAS library this process has loaded (through torch), or None."""
    with open("/proc/self/maps", encoding="utf-8") as f:
        for line in f:
            path = line.split()[-1]
            if "openblas" in path.rsplit("/", 1)[-1] and ".so" in path:
                return ctypes.CDLL(path)
    return None


def set_threads(n: int) -> None:
    """torch's intra-op threads and OpenBLAS's pool, both to n."""
    torch.set_num_threads(n)
    lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(n)
