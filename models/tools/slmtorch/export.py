"""Writing served model folders: deterministic TorchScript archives and small JSON/properties files."""
import contextlib
import hashlib
import io
import json
import os
from typing import Dict

import torch

from . import bert


@contextlib.contextmanager
def _relative_source_files(root: str):
    """While scripting, reports source files under ``root`` by their path relative to it."""
    import torch._jit_internal as ji
    import torch._sources as src
    import torch.jit.frontend as fe

    orig = src.get_source_lines_and_file

    def relative(obj, error_msg=None):
        lines, lineno, filename = orig(obj, error_msg)
        if filename and os.path.isabs(filename) and filename.startswith(root + os.sep):
            filename = os.path.relpath(filename, root)
        return lines, lineno, filename

    mods = (src, fe, ji)
    try:
        for m in mods:
            m.get_source_lines_and_file = relative
        yield
    finally:
        for m in mods:
            m.get_source_lines_and_file = orig


def save_torchscript(model: torch.nn.Module, path: str, half: bool = True) -> torch.jit.ScriptModule:
    """Scripts ``model`` (eval mode) with 2-D weights stored as fp16 when ``half`` and writes it to ``path``.
    torch.jit.save writes fixed zip timestamps, so equal weights give equal bytes; the source file name
    recorded in the archive's debug tables is made relative to the repository root, so the bytes do not
    depend on where the checkout lives."""
    model.eval()
    if half:
        bert.half_matrices(model)
    path = os.path.abspath(path)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    with _relative_source_files(root):
        sm = torch.jit.script(model)
    buf = io.BytesIO()
    torch.jit.save(sm, buf)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return sm


def write_json(path: str, obj: Dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_properties(path: str, props: Dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for k, v in props.items():
            f.write("%s=%s\n" % (k, v))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def size_mb(path: str) -> float:
    return os.path.getsize(path) / 1e6
