#!/usr/bin/env python3
"""GPU checks for slm-serve's TorchScript archives: numerics, attention kernels, decode speed.

Needs Python 3.10+ and torch 2.x with CUDA; nothing else (no DJL, no Java, no network, no pip packages).
Run through bench/gpu/check.sh from the repository root. For every model folder in models/ that holds a
model.pt it:

1. loads the archive with torch.jit.load twice: on CPU, cast("float32") (the reference), and on the GPU,
   cast("bfloat16") (what the server runs with slm.engine.device=gpu, slm.engine.dtype=bf16);
2. runs the family's forward on the same token ids on both and compares the outputs
   - encoders (docs/model-format.md): a right-padded batch with an attention mask and an unpadded batch;
     cosine and relative error per real token, and of the mean-pooled embedding;
   - decoders (docs/model-format-decoder.md): a batched right-padded prefill into slots of a cache made by
     new_cache_tensor, then a few decode steps fed with the reference's greedy tokens; cosine, relative
     error and top-1 agreement of the float32 logits;
3. profiles one encoder forward (unpadded and padded), one decoder prefill (B=1, fresh sequence: the graph
   calls SDPA with is_causal=True and no mask) and one decode step, and lists the attention kernels that
   ran; it fails if no flash kernel ran for the decoder prefill;
4. measures generated tokens/s of a GPT-2-small-shaped decoder (random weights) at batch 1 and 32.

Results go to a JSON file (--out, default bench/gpu/results.json); a short table is printed last. Exit
status: 0 all checks passed, 1 a check failed, 2 the environment cannot run the checks (no torch 2.x, no
CUDA device).

`--list` only discovers the model folders (no torch import). `--device cpu` is a dry run of the script
itself on a machine without a GPU (a second CPU copy stands in for the GPU copy; kernel assertions are
skipped); with torch 1.13 it imports models/tools/slmtorch/sdpa.py so the archives load.
"""
import argparse
import gzip
import json
import math
import platform
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
ENCODER_TASKS = {"text-embedding", "fill-mask", "text-classification"}
DECODER_TASKS = {"text-generation"}
SEQ2SEQ_TASKS = {"text2text-generation"}
ATTENTION_RE = re.compile(r"flash|efficient|attention|sdpa|fmha", re.IGNORECASE)
BACKEND_OPS = (  # aten ops that name the SDPA backend libtorch picked (most specific first)
    ("_scaled_dot_product_flash_attention_for_cpu", "flash-for-cpu"),
    ("_scaled_dot_product_flash_attention", "flash"),
    ("_flash_attention_forward", "flash"),
    ("_scaled_dot_product_efficient_attention", "efficient"),
    ("_efficient_attention_forward", "efficient"),
    ("_scaled_dot_product_cudnn_attention", "cudnn"),
    ("_scaled_dot_product_attention_math", "math"),
)
GPT2_SMALL = {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12,
              "bos_token_id": 50256, "eos_token_id": 50256}


class EnvironmentProblem(Exception):
    """The machine cannot run the checks (exit status 2)."""


# ------------------------------------------------------------------------------------------ discovery
def read_properties(path: Path) -> Dict[str, str]:
    props: Dict[str, str] = {}
    if not path.is_file():
        return props
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("!"):
            continue
        for sep in ("=", ":"):
            if sep in line:
                key, value = line.split(sep, 1)
                props[key.strip()] = value.strip()
                break
    return props


def read_json(path: Path) -> Dict[str, Any]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def family_of(task: str, config: Dict[str, Any]) -> str:
    if task in ENCODER_TASKS:
        return "encoder"
    if task in DECODER_TASKS:
        return "decoder"
    if task in SEQ2SEQ_TASKS:
        return "seq2seq"
    arch = ((config.get("architectures") or [""])[0]) or ""
    model_type = config.get("model_type", "")
    if arch.startswith("GPT2") or model_type == "gpt2":
        return "decoder"
    if arch.startswith("Bert") or model_type == "bert":
        return "encoder"
    return "unknown"


def discover(models_dir: Path, only: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Every sub-folder with serving.properties, config.json or model.pt, with its family."""
    found = []
    if not models_dir.is_dir():
        raise EnvironmentProblem(f"models directory not found: {models_dir}")
    for d in sorted(p for p in models_dir.iterdir() if p.is_dir()):
        if d.name.startswith(".") or d.name == "tools":
            continue
        if only and d.name not in only:
            continue
        props = read_properties(d / "serving.properties")
        config = read_json(d / "config.json")
        has_model = (d / "model.pt").is_file()
        if not props and not config and not has_model:
            continue
        task = props.get("option.task", "")
        fam = family_of(task, config)
        entry = {"id": d.name, "path": str(d), "family": fam, "task": task or "?",
                 "architecture": ((config.get("architectures") or ["?"])[0]), "has_model": has_model,
                 "skip_reason": None}
        if not has_model:
            entry["skip_reason"] = "no model.pt"
        elif fam not in ("encoder", "decoder"):
            entry["skip_reason"] = f"family {fam} has no check yet"
        elif not config:
            entry["skip_reason"] = "no config.json"
        found.append(entry)
    return found


# ------------------------------------------------------------------------------------------ torch setup
def import_torch(device: str):
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise EnvironmentProblem(f"cannot import torch ({e}); this check needs Python torch 2.x with CUDA")
    import torch
    major = int(torch.__version__.split(".")[0])
    if major < 2:
        if device != "cpu":
            raise EnvironmentProblem(f"torch {torch.__version__} is too old: the archives call "
                                     "aten::scaled_dot_product_attention, which needs torch 2.x")
        # dry run on torch 1.13: register the SDPA stand-in (math path) so that the archives load
        sys.path.insert(0, str(REPO / "models" / "tools"))
        import slmtorch.sdpa  # noqa: F401
    # the fused CPU decode ops that current archives record (defined in Python here; CUDA steps never call them)
    sys.path.insert(0, str(REPO / "models" / "tools"))
    import slmtorch.kernels  # noqa: F401
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            built = getattr(torch.version, "cuda", None)
            raise EnvironmentProblem(
                "CUDA is not available to torch " + torch.__version__
                + (f" (built for CUDA {built}; no device or driver visible)" if built else " (a CPU-only build)")
                + ". Run on a machine with an NVIDIA GPU, or use --device cpu for a dry run of the script.")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise EnvironmentProblem(f"{device} asked for, but torch sees {torch.cuda.device_count()} GPU(s)")
    return torch


def environment(torch, device: str) -> Dict[str, Any]:
    env = {"python": platform.python_version(), "torch": torch.__version__,
           "torch_cuda": getattr(torch.version, "cuda", None), "device": device}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        env.update({"gpu": props.name, "capability": f"{props.major}.{props.minor}",
                    "gpu_memory_gib": round(props.total_memory / 2 ** 30, 1),
                    "cudnn": torch.backends.cudnn.version()})
        for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled"):
            fn = getattr(torch.backends.cuda, name, None)
            if fn is not None:
                env[name] = bool(fn())
    return env


def sync(torch, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(torch.device(device))


def load_archive(torch, path: Path, device: str, dtype: str):
    m = torch.jit.load(str(path), map_location=device)
    m.eval()
    m.cast(dtype)
    return m


# ------------------------------------------------------------------------------------------ metrics
def compare_rows(torch, ref, out) -> Dict[str, float]:
    """ref, out: [N, X]; cosine per row, relative Frobenius error, top-1 agreement."""
    a = ref.double()
    b = out.double().to(a.device)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1)
    rel = float((a - b).norm() / a.norm().clamp_min(1e-30))
    return {"rows": int(a.shape[0]), "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
            "rel_err": rel, "max_abs_diff": float((a - b).abs().max()),
            "top1_agree": float((a.argmax(dim=1) == b.argmax(dim=1)).double().mean())}


def merge_min(stats: List[Dict[str, float]]) -> Dict[str, float]:
    return {"rows": sum(s["rows"] for s in stats), "min_cosine": min(s["min_cosine"] for s in stats),
            "mean_cosine": sum(s["mean_cosine"] * s["rows"] for s in stats) / sum(s["rows"] for s in stats),
            "rel_err": max(s["rel_err"] for s in stats), "max_abs_diff": max(s["max_abs_diff"] for s in stats),
            "top1_agree": min(s["top1_agree"] for s in stats)}


# ------------------------------------------------------------------------------------------ profiling
def profile_call(torch, device: str, fn: Callable[[], Any], warmup: int = 3) -> Dict[str, Any]:
    """Runs fn a few times (TorchScript's profiling executor specialises on the first calls), then once
    under torch.profiler; returns the attention-related CPU ops and GPU kernels that ran."""
    from torch.profiler import ProfilerActivity, profile
    for _ in range(warmup):
        fn()
    sync(torch, device)
    activities = [ProfilerActivity.CPU]
    if device.startswith("cuda"):
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        fn()
        sync(torch, device)
    ops: Dict[str, int] = {}
    kernels: Dict[str, int] = {}
    for evt in prof.events():
        name = evt.name
        if not ATTENTION_RE.search(name):
            continue
        is_gpu = str(getattr(evt, "device_type", "")).upper().endswith("CUDA")
        bucket = kernels if is_gpu else ops
        bucket[name] = bucket.get(name, 0) + 1
    backends = []
    for op in ops:
        for key, backend in BACKEND_OPS:
            if op.endswith(key) and backend not in backends:
                backends.append(backend)
                break
    return {"backends": backends, "cpu_ops": ops, "gpu_kernels": kernels,
            "flash_kernel": any("flash" in k.lower() for k in kernels)}


def short(name: str, width: int = 110) -> str:
    return name if len(name) <= width else name[:width - 3] + "..."


# ------------------------------------------------------------------------------------------ encoders
def special_ids(model_dir: Path) -> Dict[str, int]:
    tok = read_json(model_dir / "tokenizer.json")
    ids = {t.get("content"): t.get("id") for t in tok.get("added_tokens", []) if isinstance(t, dict)}
    vocab = (tok.get("model") or {}).get("vocab")
    if isinstance(vocab, dict):
        for name in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"):
            if name in vocab and name not in ids:
                ids[name] = vocab[name]
    return {k: v for k, v in ids.items() if isinstance(v, int)}


def encoder_batch(torch, cfg: Dict[str, Any], specials: Dict[str, int], lengths: List[int], gen):
    """[CLS] random-ids [SEP] rows, right-padded; int64 ids, mask, token types."""
    vocab = int(cfg["vocab_size"])
    cls_id = specials.get("[CLS]", 101 if vocab > 102 else 1)
    sep_id = specials.get("[SEP]", 102 if vocab > 102 else 2)
    pad_id = specials.get("[PAD]", int(cfg.get("pad_token_id", 0) or 0))
    avoid = set(specials.values())
    low = min(max(avoid) + 1 if avoid and max(avoid) < vocab // 2 else 0, vocab - 1)
    t = max(lengths)
    ids = torch.full((len(lengths), t), pad_id, dtype=torch.long)
    mask = torch.zeros((len(lengths), t), dtype=torch.long)
    for b, n in enumerate(lengths):
        row = torch.randint(low, vocab, (n,), generator=gen)
        row[0], row[n - 1] = cls_id, sep_id
        ids[b, :n] = row
        mask[b, :n] = 1
    return ids, mask, torch.zeros_like(ids)


def check_encoder(torch, entry: Dict[str, Any], args, gen) -> Dict[str, Any]:
    d = Path(entry["path"])
    cfg = read_json(d / "config.json")
    specials = special_ids(d)
    t = min(int(args.encoder_len), int(cfg.get("max_position_embeddings", 512)))
    padded_lengths = [t, max(3, t // 2), max(3, t // 4), 3, max(3, (3 * t) // 4), max(3, t - 5), 5, max(3, t // 3)]
    unpadded_lengths = [t] * 4
    batches = {"padded": encoder_batch(torch, cfg, specials, padded_lengths, gen),
               "unpadded": encoder_batch(torch, cfg, specials, unpadded_lengths, gen)}
    ref_model = load_archive(torch, d / "model.pt", "cpu", "float32")
    dev_model = load_archive(torch, d / "model.pt", args.device, args.dtype)
    result: Dict[str, Any] = {"compare": {}, "profile": {}, "checks": []}
    pooled_all = []
    token_all = []
    with torch.no_grad():
        for name, (ids, mask, tt) in batches.items():
            ref = ref_model(ids, mask, tt)
            dv = [x.to(args.device) for x in (ids, mask, tt)]
            out = dev_model(*dv)
            sync(torch, args.device)
            out_dtype = str(out.dtype).replace("torch.", "")
            out = out.float().cpu()
            if ref.dim() == 3:
                real = mask.bool()
                stats = compare_rows(torch, ref[real], out[real])
            else:
                stats = compare_rows(torch, ref, out)
            if ref.dim() == 3 and entry["architecture"] in ("BertModel", "?"):
                m = mask.unsqueeze(-1).to(ref.dtype)
                pooled_ref = (ref * m).sum(1) / m.sum(1)
                pooled_out = (out * m).sum(1) / m.sum(1)
                stats["pooled"] = compare_rows(torch, pooled_ref, pooled_out)
                pooled_all.append(stats["pooled"])
            stats["output_dtype"] = out_dtype
            stats["shape"] = list(ref.shape)
            token_all.append(stats)
            result["compare"][name] = stats
        # kernels: one forward each, on the device copy
        for name, (ids, mask, tt) in batches.items():
            dv = [x.to(args.device) for x in (ids, mask, tt)]
            result["profile"][name] = profile_call(torch, args.device, lambda: dev_model(*dv))
    token = merge_min(token_all)
    result["checks"].append(check("rows cosine (min)", token["min_cosine"], ">=", args.min_cosine_encoder))
    if pooled_all:
        pooled = merge_min(pooled_all)
        result["checks"].append(check("pooled cosine (min)", pooled["min_cosine"], ">=", args.min_cosine_pooled))
    result["checks"].append(check("rel err (max)", token["rel_err"], "<=", args.max_rel_err_encoder))
    if entry["architecture"].endswith("MaskedLM"):
        result["checks"].append(check("top-1 agreement (min)", token["top1_agree"], ">=", args.min_top1_mlm))
    elif entry["architecture"].endswith("SequenceClassification"):
        c = check("label agreement (min)", token["top1_agree"], ">=", 1.0)
        c.update({"ok": True, "warn": not c["ok"]})  # near-tied logits on random ids may flip: reported only
        result["checks"].append(c)
    if args.device.startswith("cuda"):
        for name, expect in (("unpadded", "flash"), ("padded", "efficient")):
            prof = result["profile"][name]
            seen = ",".join(prof["backends"]) or "?"
            result["checks"].append({"name": f"{name} batch SDPA backend", "value": seen, "limit": f"expect {expect}",
                                     "ok": True, "warn": expect not in prof["backends"]})
    return result


# ------------------------------------------------------------------------------------------ decoders
def decoder_step_inputs(torch, ids_rows: List[List[int]], starts: List[int], slots: List[int], pad_id: int):
    """Right-padded rows; pads get positions that continue past the row's real tokens."""
    b = len(ids_rows)
    t = max(len(r) for r in ids_rows)
    ids = torch.full((b, t), pad_id, dtype=torch.long)
    pos = torch.zeros((b, t), dtype=torch.long)
    last = torch.zeros((b,), dtype=torch.long)
    for i, row in enumerate(ids_rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        pos[i] = torch.arange(starts[i], starts[i] + t, dtype=torch.long)
        last[i] = len(row) - 1
    return ids, pos, torch.tensor(slots, dtype=torch.long), last


class Decoder:
    """One archive on one device with its own slot cache."""

    def __init__(self, torch, module, device: str, slots: int, max_len: int):
        self.torch = torch
        self.m = module
        self.device = device
        self.cache_k = module.new_cache_tensor(slots, max_len)
        self.cache_v = module.new_cache_tensor(slots, max_len)

    def __call__(self, ids, pos, slots, last):
        d = self.device
        return self.m(ids.to(d), pos.to(d), slots.to(d), last.to(d), self.cache_k, self.cache_v)


def check_decoder(torch, entry: Dict[str, Any], args, gen) -> Dict[str, Any]:
    d = Path(entry["path"])
    cfg = read_json(d / "config.json")
    vocab = int(cfg["vocab_size"])
    n_pos = int(cfg.get("n_positions", cfg.get("n_ctx", 1024)))
    eos = int(cfg.get("eos_token_id", vocab - 1))
    max_len = min(n_pos, int(args.decoder_max_len))
    n_slots = 4
    steps = int(args.decode_steps)
    long_len = max(4, min(24, max_len // 2 - steps))
    lengths = [long_len, max(2, long_len // 3), 2]
    slots = [2, 0, 3]
    rows = [torch.randint(0, vocab, (n,), generator=gen).tolist() for n in lengths]
    rows = [[x if x != eos else (x + 1) % vocab for x in r] for r in rows]

    ref_m = load_archive(torch, d / "model.pt", "cpu", "float32")
    dev_m = load_archive(torch, d / "model.pt", args.device, args.dtype)
    ref = Decoder(torch, ref_m, "cpu", n_slots, max_len)
    dev = Decoder(torch, dev_m, args.device, n_slots, max_len)
    result: Dict[str, Any] = {"compare": {}, "profile": {}, "checks": [],
                              "cache_dtype": str(dev.cache_k.dtype).replace("torch.", ""),
                              "cache_shape": list(dev.cache_k.shape)}
    with torch.no_grad():
        # noise in the device cache: stale data from earlier sequences must stay invisible
        dev.cache_k.normal_()
        dev.cache_v.normal_()
        ids, pos, sl, last = decoder_step_inputs(torch, rows, [0, 0, 0], slots, pad_id=0)
        ref_logits = ref(ids, pos, sl, last)
        dev_logits = dev(ids, pos, sl, last)
        sync(torch, args.device)
        result["logits_dtype"] = str(dev_logits.dtype).replace("torch.", "")
        stats = [compare_rows(torch, ref_logits, dev_logits.float().cpu())]
        result["compare"]["prefill"] = stats[0]
        agree_steps = []
        cur = list(lengths)
        for s in range(steps):
            nxt = ref_logits.argmax(dim=1).tolist()  # teacher forcing: both copies get the reference's tokens
            ids, pos, sl, last = decoder_step_inputs(torch, [[x] for x in nxt], cur, slots, pad_id=0)
            ref_logits = ref(ids, pos, sl, last)
            dev_logits = dev(ids, pos, sl, last)
            sync(torch, args.device)
            st = compare_rows(torch, ref_logits, dev_logits.float().cpu())
            stats.append(st)
            agree_steps.append(st["top1_agree"])
            cur = [c + 1 for c in cur]
        result["compare"]["decode"] = merge_min(stats[1:]) if steps else None
        allstats = merge_min(stats)
        result["compare"]["all"] = allstats
        result["compare"]["greedy_agree_per_step"] = agree_steps

    result["checks"].append(check("logits dtype", result["logits_dtype"], "==", "float32"))
    if args.device.startswith("cuda"):
        result["checks"].append(check("cache dtype", result["cache_dtype"], "==", args.dtype))
    result["checks"].append(check("logits cosine (min)", allstats["min_cosine"], ">=", args.min_cosine_decoder))
    result["checks"].append(check("logits rel err (max)", allstats["rel_err"], "<=", args.max_rel_err_decoder))
    top1 = check("top-1 agreement (min)", allstats["top1_agree"], ">=", args.min_top1_decoder)
    top1.update({"ok": True, "warn": not top1["ok"]})  # near-tied logits may flip in bf16: reported only
    result["checks"].append(top1)
    result["profile"], kernel_checks = profile_decoder_b1(torch, dev_m, cfg, args, max_len)
    result["checks"].extend(kernel_checks)
    return result


def profile_decoder_b1(torch, module, cfg: Dict[str, Any], args, max_len: int):
    """Profiles a B=1 fresh prefill (is_causal=True, no mask: flash-eligible) and one decode step (boolean
    mask) in a cache of its own; returns (profiles, checks). Asserts a flash kernel for the prefill."""
    vocab = int(cfg["vocab_size"])
    gen = torch.Generator(device="cpu").manual_seed(args.seed + 7)
    dec = Decoder(torch, module, args.device, 2, max_len)
    t = max(2, min(int(args.profile_prefill_len), max_len - 2))
    prow = torch.randint(0, vocab, (t,), generator=gen).tolist()
    p_in = decoder_step_inputs(torch, [prow], [0], [1], pad_id=0)
    s_in = decoder_step_inputs(torch, [[prow[-1]]], [t], [1], pad_id=0)
    profiles = {}
    with torch.no_grad():
        profiles["prefill_b1"] = profile_call(torch, args.device, lambda: dec(*p_in))
        profiles["decode_b1"] = profile_call(torch, args.device, lambda: dec(*s_in))
    checks = []
    if args.device.startswith("cuda"):
        prof = profiles["prefill_b1"]
        ok = prof["flash_kernel"]
        checks.append({"name": f"prefill B=1 T={t} flash kernel", "value": ",".join(prof["backends"]) or "?",
                       "limit": "flash kernel ran", "ok": ok, "detail": None if ok else
                       "no GPU kernel with 'flash' in its name ran for the fresh prefill; kernels: "
                       + (", ".join(prof["gpu_kernels"]) or "none")})
        dprof = profiles["decode_b1"]
        checks.append({"name": "decode B=1 SDPA backend", "value": ",".join(dprof["backends"]) or "?",
                       "limit": "expect efficient (masked)", "ok": True,
                       "warn": "efficient" not in dprof["backends"]})
    return profiles, checks


# ------------------------------------------------------------------------------------------ GPT-2 small
def randomize_if_zero(torch, module) -> bool:
    """A prepared archive may hold zero weights (they compress to almost nothing for the trip to the GPU
    machine): give it GPT-2's initialisation in place. Returns True if it did."""
    named = list(module.named_buffers()) + list(module.named_parameters())
    if not named or any(float(t.abs().sum()) != 0.0 for n, t in named if n.endswith("wte.weight")):
        return False
    gen = torch.Generator(device="cpu").manual_seed(0)
    n_layer = sum(1 for n, _ in named if n.endswith("attn.c_attn.weight")) or 1
    with torch.no_grad():
        for name, t in named:
            if not t.is_floating_point():
                continue
            if name.endswith("bias"):
                t.zero_()
            elif re.search(r"ln_\d\.weight$|ln_f\.weight$", name):
                t.fill_(1.0)
            else:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                t.copy_((torch.randn(tuple(t.shape), generator=gen) * std).to(t.dtype))
    return True


def gpt2_small_module(torch, args, tmp: Path) -> Tuple[Any, str, Dict[str, Any]]:
    """(module on the device, already cast; where it came from; config)."""
    src = Path(args.gpt2_small) if args.gpt2_small else None
    if src is None and (REPO / ".gpu-work" / "gpt2-small").is_dir():
        src = REPO / ".gpu-work" / "gpt2-small"
    if src is not None:
        if not src.is_dir():
            raise FileNotFoundError(f"--gpt2-small {src}: not a folder")
        cfg = read_json(src / "config.json") or dict(GPT2_SMALL)
        archive = src / "model.pt"
        if not archive.is_file() and (src / "model.pt.gz").is_file():
            archive = tmp / "gpt2-small.pt"
            with gzip.open(src / "model.pt.gz", "rb") as f_in, open(archive, "wb") as f_out:
                shutil.copyfileobj(f_in, f_out, 1 << 24)
        if not archive.is_file():
            raise FileNotFoundError(f"{src}: no model.pt or model.pt.gz")
        m = torch.jit.load(str(archive), map_location=args.device)
        m.eval()
        randomized = randomize_if_zero(torch, m)
        m.cast(args.bench_dtype)
        return m, f"archive {src}" + (" (zero weights, randomised here)" if randomized else ""), cfg
    # build it here from models/tools/slmtorch/gpt2.py: script with this torch, else run it eagerly
    sys.path.insert(0, str(REPO / "models" / "tools"))
    from slmtorch import gpt2  # noqa: E402
    cfg = dict(GPT2_SMALL)
    torch.manual_seed(0)
    model = gpt2.build(gpt2.GPT2Config(**cfg)).eval()
    try:
        scripted = gpt2.script_for_serving(model)
        path = tmp / "gpt2-small.pt"
        scripted.save(str(path))
        del scripted
        m = torch.jit.load(str(path), map_location=args.device)
        m.eval()
        m.cast(args.bench_dtype)
        return m, f"scripted here with torch {torch.__version__} from models/tools/slmtorch/gpt2.py", cfg
    except Exception as e:  # noqa: BLE001 - any scripting failure falls back to eager
        print(f"gpt2-small: scripting with torch {torch.__version__} failed ({type(e).__name__}: "
              f"{str(e).splitlines()[0] if str(e) else ''}); measuring the eager module instead", file=sys.stderr)
        model = gpt2.build(gpt2.GPT2Config(**cfg)).eval()
        gpt2.to_buffers(model)
        model.to(args.device)
        model.cast(args.bench_dtype)
        return model, "eager models/tools/slmtorch/gpt2.py (TorchScript scripting failed here)", cfg


def bench_decode(torch, m, cfg: Dict[str, Any], device: str, batch: int, prompt: int, steps: int,
                 warmup_steps: int) -> Dict[str, Any]:
    vocab = int(cfg["vocab_size"])
    max_len = prompt + warmup_steps + steps + 1
    if max_len > int(cfg.get("n_positions", 1024)):
        raise ValueError(f"prompt {prompt} + steps {warmup_steps + steps} exceed n_positions")
    gen = torch.Generator(device="cpu").manual_seed(1234 + batch)
    with torch.no_grad():
        ck = m.new_cache_tensor(batch, max_len)
        cv = m.new_cache_tensor(batch, max_len)
        ids = torch.randint(0, vocab, (batch, prompt), generator=gen).to(device)
        pos = torch.arange(prompt, dtype=torch.long).view(1, prompt).expand(batch, prompt).contiguous().to(device)
        slots = torch.arange(batch, dtype=torch.long, device=device)
        last = torch.full((batch,), prompt - 1, dtype=torch.long, device=device)
        zero = torch.zeros((batch,), dtype=torch.long, device=device)

        def run(n_steps: int) -> Tuple[float, float]:
            sync(torch, device)
            t0 = time.perf_counter()
            logits = m(ids, pos, slots, last, ck, cv)
            sync(torch, device)
            t1 = time.perf_counter()
            for i in range(n_steps):
                nxt = logits.argmax(dim=1).view(batch, 1)
                p = torch.full((batch, 1), prompt + i, dtype=torch.long, device=device)
                logits = m(nxt, p, slots, zero, ck, cv)
            sync(torch, device)
            t2 = time.perf_counter()
            return t1 - t0, t2 - t1

        run(warmup_steps)  # profiling executor, allocator, cuBLAS handles
        prefill_s, decode_s = run(steps)
    return {"batch": batch, "prompt_tokens": prompt, "decode_steps": steps,
            "prefill_ms": round(prefill_s * 1e3, 3), "ms_per_step": round(decode_s * 1e3 / steps, 3),
            "generated_tokens_per_s": round(batch * steps / decode_s, 1)}


def run_gpt2_small(torch, args) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="slm-gpu-check-") as tmpdir:
        t0 = time.perf_counter()
        m, source, cfg = gpt2_small_module(torch, args, Path(tmpdir))
        load_s = time.perf_counter() - t0
        out = {"source": source, "dtype": args.bench_dtype, "load_s": round(load_s, 1),
               "shape": {k: cfg.get(k) for k in ("n_layer", "n_head", "n_embd", "vocab_size", "n_positions")},
               "runs": []}
        out["profile"], out["checks"] = profile_decoder_b1(torch, m, cfg, args, min(int(cfg.get("n_positions", 1024)),
                                                                                int(args.decoder_max_len)))
        for b in [int(x) for x in args.bench_batches.split(",") if x.strip()]:
            out["runs"].append(bench_decode(torch, m, cfg, args.device, b, int(args.bench_prompt),
                                            int(args.bench_steps), int(args.bench_warmup)))
        del m
    return out


# ------------------------------------------------------------------------------------------ report
def check(name: str, value: Any, op: str, limit: Any) -> Dict[str, Any]:
    if op == ">=":
        ok = value >= limit
    elif op == "<=":
        ok = value <= limit
    else:
        ok = value == limit
    return {"name": name, "value": value, "limit": f"{op} {limit}", "ok": bool(ok)}


def fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != 0.0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.6f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def print_table(rows: List[List[str]], header: List[str]) -> None:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def print_kernels(model_id: str, profiles: Dict[str, Any]) -> None:
    for name, prof in profiles.items():
        print(f"{model_id} / {name}: SDPA backend {','.join(prof['backends']) or '?'}")
        for op, n in sorted(prof["cpu_ops"].items()):
            print(f"    op     x{n:<3} {short(op)}")
        for k, n in sorted(prof["gpu_kernels"].items()):
            print(f"    kernel x{n:<3} {short(k)}")


def list_models(models: List[Dict[str, Any]]) -> None:
    rows = [[m["id"], m["family"], m["task"], m["architecture"], "yes" if m["has_model"] else "no",
             m["skip_reason"] or "check"] for m in models]
    print_table(rows, ["model", "family", "task", "architecture", "model.pt", "action"])


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=str(REPO / "models"), help="folder of model folders (default: models/)")
    ap.add_argument("--models", default="", help="comma-separated model ids to check (default: all)")
    ap.add_argument("--out", default=str(REPO / "bench" / "gpu" / "results.json"), help="JSON results file")
    ap.add_argument("--list", action="store_true", help="only list the model folders found, then exit (no torch)")
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu for a dry run without a GPU")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"],
                    help="cast(dtype) of the device copy (default bfloat16)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--encoder-len", type=int, default=64, help="longest row of the encoder batches")
    ap.add_argument("--decoder-max-len", type=int, default=128, help="cache length M of the decoder check")
    ap.add_argument("--decode-steps", type=int, default=4, help="decode steps compared after the prefill")
    ap.add_argument("--profile-prefill-len", type=int, default=64, help="tokens of the profiled B=1 prefill")
    ap.add_argument("--min-cosine-encoder", type=float, default=0.98)
    ap.add_argument("--min-cosine-pooled", type=float, default=0.998)
    ap.add_argument("--max-rel-err-encoder", type=float, default=0.08)
    ap.add_argument("--min-top1-mlm", type=float, default=0.9,
                    help="fill-mask: lowest fraction of real tokens whose argmax matches fp32")
    ap.add_argument("--min-cosine-decoder", type=float, default=0.98)
    ap.add_argument("--max-rel-err-decoder", type=float, default=0.15)
    ap.add_argument("--min-top1-decoder", type=float, default=0.5,
                    help="decoders: warn below this fraction of rows whose argmax matches fp32, per call")
    ap.add_argument("--gpt2-small", default=None, metavar="DIR",
                    help="GPT-2-small-shaped folder (model.pt or model.pt.gz + config.json); default "
                         ".gpu-work/gpt2-small if present, else built here from models/tools/slmtorch/gpt2.py")
    ap.add_argument("--skip-bench", action="store_true", help="skip the GPT-2-small tokens/s measurement")
    ap.add_argument("--bench-dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    ap.add_argument("--bench-batches", default="1,32", help="comma-separated batch sizes (default 1,32)")
    ap.add_argument("--bench-prompt", type=int, default=32, help="prompt tokens per sequence")
    ap.add_argument("--bench-steps", type=int, default=128, help="timed decode steps")
    ap.add_argument("--bench-warmup", type=int, default=8, help="untimed decode steps first")
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    only = [x.strip() for x in args.models.split(",") if x.strip()] or None
    try:
        models = discover(Path(args.models_dir), only)
    except EnvironmentProblem as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.list:
        list_models(models)
        return 0
    try:
        torch = import_torch(args.device)
    except EnvironmentProblem as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    results: Dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "environment": environment(torch, args.device), "dtype": args.dtype,
                               "models": [], "gpt2_small": None}
    env = results["environment"]
    print(f"torch {env['torch']} (CUDA {env['torch_cuda']}), device {args.device}"
          + (f": {env.get('gpu')} sm_{env.get('capability', '').replace('.', '')}" if "gpu" in env else "")
          + f", dtype {args.dtype}", flush=True)

    failures: List[str] = []
    for entry in models:
        rec = dict(entry)
        if entry["skip_reason"]:
            rec["status"] = "skipped"
            results["models"].append(rec)
            continue
        t0 = time.perf_counter()
        try:
            fn = check_encoder if entry["family"] == "encoder" else check_decoder
            rec.update(fn(torch, entry, args, gen))
            rec["status"] = "ok" if all(c["ok"] for c in rec["checks"]) else "failed"
        except Exception as e:  # noqa: BLE001 - one model's crash is that model's failure
            rec["status"] = "error"
            rec["error"] = f"{type(e).__name__}: {e}"
            rec["traceback"] = traceback.format_exc()
            print(rec["traceback"], file=sys.stderr)
        rec["seconds"] = round(time.perf_counter() - t0, 1)
        if rec["status"] != "ok":
            failures.append(entry["id"])
        results["models"].append(rec)
        if rec.get("profile"):
            print_kernels(entry["id"], rec["profile"])
        print(f"{entry['id']}: {rec['status']} in {rec['seconds']} s", flush=True)
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()

    if not args.skip_bench:
        try:
            results["gpt2_small"] = run_gpt2_small(torch, args)
            print_kernels("gpt2-small", results["gpt2_small"]["profile"])
            if not all(c["ok"] for c in results["gpt2_small"]["checks"]):
                failures.append("gpt2-small kernels")
        except Exception as e:  # noqa: BLE001
            results["gpt2_small"] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
            print(results["gpt2_small"]["traceback"], file=sys.stderr)
            failures.append("gpt2-small bench")

    checked = [m for m in results["models"] if m["status"] != "skipped"]
    if not checked:
        failures.append("no model folder with a model.pt of a checked family")
    results["failures"] = failures
    results["ok"] = not failures
    results["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, default=str)
        f.write("\n")

    # ---- the short table, last
    print()
    rows = []
    for m in results["models"]:
        if m["status"] == "skipped":
            rows.append([m["id"], m["family"], "-", "skipped", m["skip_reason"], ""])
            continue
        if m["status"] == "error":
            rows.append([m["id"], m["family"], "-", "ERROR", m["error"][:60], ""])
            continue
        for c in m["checks"]:
            state = "ok" if c["ok"] else "FAIL"
            if c.get("warn"):
                state = "warn"
            rows.append([m["id"], m["family"], c["name"], fmt(c["value"]), c["limit"], state])
    bench = results["gpt2_small"]
    for c in (bench or {}).get("checks", []):
        rows.append(["gpt2-small", "decoder", c["name"], fmt(c["value"]), c["limit"],
                     "warn" if c.get("warn") else ("ok" if c["ok"] else "FAIL")])
    print_table(rows, ["model", "family", "check", "value", "limit", "result"])
    if bench:
        print()
        if "error" in bench:
            print(f"gpt2-small bench: ERROR {bench['error']}")
        else:
            print(f"gpt2-small ({bench['dtype']}, {bench['source']}):")
            print_table([[r["batch"], r["prompt_tokens"], f"{r['prefill_ms']:.2f}", f"{r['ms_per_step']:.2f}",
                          f"{r['generated_tokens_per_s']:.0f}"] for r in bench["runs"]],
                        ["batch", "prompt", "prefill ms", "ms/step", "generated tokens/s"])
    print()
    print(f"{'PASS' if results['ok'] else 'FAIL'}: {len(checked)} model(s) checked in {results['seconds']} s"
          + (f"; failed: {', '.join(failures)}" if failures else "") + f"; results in {out}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
