"""libtorch-2.x ops that Debian's torch 1.13 lacks, defined here as stand-ins: an archive scripted here records the
call by name, and DJL's libtorch 2.7.1 binds it to its own kernel. Each stand-in's Python implementation is the
plain math, for eager runs and the tests here. Users: sdpa.py (SDPA), onednn.py (oneDNN's linear and reorder),
kernels.py (the slm:: ops of src/main/native), bench/generation/gemm_forms.py (the GEMM forms it compares).
"""
from typing import Callable, Dict

import torch

_KEEP: list = []  # libraries unregister when garbage collected


def define(namespace: str, dispatch_key: str, ops: Dict[str, Callable]) -> None:
    """Defines each schema of ``ops`` (its keys, as libtorch 2.7 writes them) in ``namespace``, implemented by its
    value for ``dispatch_key``; nothing when the namespace has the first op already (torch 2.x, or an earlier call)."""
    names = [schema.split("(", 1)[0] for schema in ops]
    try:
        getattr(getattr(torch.ops, namespace), names[0])
        return
    except (AttributeError, RuntimeError):
        pass
    frag = torch._C._dispatch_library("FRAGMENT", namespace, "", __file__, 0)
    impl = torch.library.Library(namespace, "IMPL", dispatch_key)
    for name, (schema, fn) in zip(names, ops.items()):
        frag.define(schema)
        impl.impl(name, fn)
    _KEEP.extend([frag, impl])
