"""Runs a served BART folder through DJL 0.36 (HuggingFaceTokenizer + PyTorch engine, libtorch 2.7.1 with its
real fused SDPA kernels) the way slm-serve does, and checks it against the eager Python model (math path):

  * DJL's tokenizer encodes each source text (ids must equal slmtorch/numwords.py's for nano-bart);
  * one batched ``encode`` of the right-padded sources (different lengths) into slots [2, 0, 3, ...] of cross
    caches filled with noise, then one ``forward`` with every row's decoder_start_token_id at position 0 and
    batched greedy one-token steps (argmax in Java) against self caches filled with noise; caches are passed
    by reference, so the graph's in-place writes carry over from call to call;
  * the tokens must equal Python greedy decoding recomputed from scratch (``logits_all``) per row; first-step
    logits are compared numerically; DJL's ``decode(ids, skipSpecialTokens=true)`` must give the Python
    decode (and, for nano-bart, the heldout.jsonl target);
  * after ``cast("bfloat16")`` / ``cast("float16")`` (caches from new_cache_tensor / new_cross_cache_tensor),
    first-step logits keep cosine > 0.98 with fp32 Python.

    /usr/bin/python3 models/tools/seq2seq_java_check.py --model-dir models/nano-bart
    /usr/bin/python3 models/tools/seq2seq_java_check.py --model-dir /work/shared-tmp/nano-bart-tiny

The Python reference is the eager module rebuilt from model.pt's state dict and config.json (torch 1.13 loads
the archive once slmtorch.sdpa has defined the op). Needs javac/java and the DJL jars in ~/.m2.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decoder_java_check import classpath as engine_classpath  # noqa: E402
from slmtorch import bart, numwords  # noqa: E402
from tokenizer_java_check import classpath as tokenizer_classpath  # noqa: E402

JAVA = r"""
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

public class S2sCheck {
    // args: modelDir dtype maxNew L H D start eos pad textsFile (texts separated by \u0001)
    public static void main(String[] a) throws Exception {
        Path dir = Paths.get(a[0]);
        String dtype = a[1];
        int maxNew = Integer.parseInt(a[2]);
        int L = Integer.parseInt(a[3]), H = Integer.parseInt(a[4]), D = Integer.parseInt(a[5]);
        long start = Long.parseLong(a[6]), eos = Long.parseLong(a[7]), pad = Long.parseLong(a[8]);
        String[] texts = new String(Files.readAllBytes(Paths.get(a[9])), StandardCharsets.UTF_8).split("\u0001", -1);
        StringBuilder out = new StringBuilder();
        HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"));
        int B = texts.length;
        long[][] src = new long[B][];
        int T = 0;
        for (int b = 0; b < B; b++) {
            src[b] = tok.encode(texts[b]).getIds();
            T = Math.max(T, src[b].length);
            out.append("SRC");
            for (long x : src[b]) out.append(' ').append(x);
            out.append('\n');
        }
        try (Model model = Model.newInstance("m", "PyTorch")) {
            JniUtils.setNumThreads(1);
            model.load(dir, "model");
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            IValueUtils.runMethod(block, "cast", IValue.from(dtype)).close();
            PtNDManager mgr = (PtNDManager) model.getNDManager();
            int S = B + 2, M = maxNew + 1, Ms = T + 3;
            NDArray sk, sv, ck, cv;
            if (dtype.equals("float32")) {  // stale garbage in the caches must never become visible
                sk = mgr.randomNormal(new Shape(L, S, H, M, D));
                sv = mgr.randomNormal(new Shape(L, S, H, M, D));
                ck = mgr.randomNormal(new Shape(L, S, H, Ms, D));
                cv = mgr.randomNormal(new Shape(L, S, H, Ms, D));
            } else {  // the model allocates its caches in its own dtype (DJL cannot create bf16 arrays)
                sk = alloc(block, mgr, "new_cache_tensor", S, M);
                sv = alloc(block, mgr, "new_cache_tensor", S, M);
                ck = alloc(block, mgr, "new_cross_cache_tensor", S, Ms);
                cv = alloc(block, mgr, "new_cross_cache_tensor", S, Ms);
            }
            out.append("CACHE ").append(sk.getDataType()).append(' ').append(sk.getShape()).append(' ')
               .append(ck.getShape()).append('\n');
            long[] slots = new long[B];
            for (int b = 0; b < B; b++) slots[b] = S - 1 - b;  // distinct, not 0..B-1 in order
            long[] ids = new long[B * T], lens = new long[B];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) ids[b * T + t] = t < src[b].length ? src[b][t] : pad;
                lens[b] = src[b].length;
            }
            NDArray slotsNd = mgr.create(slots), lensNd = mgr.create(lens);
            try (IValue r = IValueUtils.runMethod(block, "encode", IValue.from((PtNDArray) mgr.create(ids, new Shape(B, T))),
                    IValue.from((PtNDArray) lensNd), IValue.from((PtNDArray) slotsNd),
                    IValue.from((PtNDArray) ck), IValue.from((PtNDArray) cv))) {
                out.append("ENCODE_RETURNS ").append(Arrays.toString(r.toTensor(mgr).toLongArray())).append('\n');
            }
            ParameterStore ps = new ParameterStore(mgr, false);
            long[] cur = new long[B];
            Arrays.fill(cur, start);
            List<List<Long>> gen = new ArrayList<>();
            boolean[] done = new boolean[B];
            for (int b = 0; b < B; b++) gen.add(new ArrayList<>());
            for (int step = 0; step < maxNew; step++) {
                long[] pos = new long[B];
                Arrays.fill(pos, step);
                NDList in = new NDList(mgr.create(cur, new Shape(B, 1)), mgr.create(pos, new Shape(B, 1)), slotsNd,
                        mgr.create(new long[B]), lensNd, sk, sv, ck, cv);
                NDArray logits = block.forward(ps, in, false).singletonOrThrow();
                if (step == 0) {
                    out.append("SHAPE ").append(logits.getShape()).append(' ').append(logits.getDataType()).append('\n');
                    out.append("LOGITS");
                    for (float f : logits.toFloatArray()) out.append(' ').append(f);
                    out.append('\n');
                }
                long[] nx = logits.argMax(1).toLongArray();
                boolean all = true;
                for (int b = 0; b < B; b++) {
                    if (!done[b]) { gen.get(b).add(nx[b]); done[b] = nx[b] == eos; }
                    all &= done[b];
                }
                if (all) break;
                cur = nx;
            }
            for (int b = 0; b < B; b++) {
                long[] g = gen.get(b).stream().mapToLong(Long::longValue).toArray();
                out.append("TOKENS");
                for (long x : g) out.append(' ').append(x);
                out.append('\n');
                out.append("TEXT ").append(tok.decode(g, true)).append('\n');
            }
        }
        System.out.print(out);
    }

    static NDArray alloc(PtSymbolBlock block, PtNDManager mgr, String method, int s, int m) {
        try (IValue v = IValueUtils.runMethod(block, method, IValue.from((long) s), IValue.from((long) m))) {
            return v.toTensor(mgr);
        }
    }
}
"""


def classpath() -> str:
    jars = engine_classpath().split(":") + tokenizer_classpath().split(":")
    return ":".join(dict.fromkeys(jars))


def run_java(model_dir, dtype, max_new, cfg, texts):
    cp = classpath()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "S2sCheck.java"), "w") as f:
            f.write(JAVA)
        with open(os.path.join(d, "in.txt"), "w", encoding="utf-8") as f:
            f.write("\u0001".join(texts))
        subprocess.run(["javac", "-nowarn", "-cp", cp, "-d", d, os.path.join(d, "S2sCheck.java")], check=True)
        args = ["java", "-Dai.djl.offline=true", "-DPYTORCH_FLAVOR=cpu", "-cp", cp + ":" + d, "S2sCheck", model_dir,
                dtype, str(max_new), str(cfg.decoder_layers), str(cfg.decoder_attention_heads),
                str(cfg.d_model // cfg.decoder_attention_heads), str(cfg.decoder_start_token_id),
                str(cfg.eos_token_id), str(cfg.pad_token_id), os.path.join(d, "in.txt")]
        res = subprocess.run(args, capture_output=True, text=True, encoding="utf-8")
    if res.returncode != 0:
        raise RuntimeError(res.stdout[-2000:] + res.stderr[-4000:])
    got = {"SRC": [], "TOKENS": [], "TEXT": [], "LOGITS": None, "CACHE": ""}
    for line in res.stdout.splitlines():
        key, _, rest = line.partition(" ")
        if key in ("SRC", "TOKENS"):
            got[key].append([int(x) for x in rest.split()])
        elif key == "TEXT":
            got[key].append(rest)
        elif key == "LOGITS":
            got[key] = np.array([float(x) for x in rest.split()], dtype=np.float32).reshape(len(texts), -1)
        elif key in ("CACHE", "SHAPE", "ENCODE_RETURNS"):
            got[key] = rest
    return got


def load_eager(model_dir):
    cfg = bart.BartConfig.load(os.path.join(model_dir, "config.json"))
    model = bart.build(cfg).eval()
    sd = torch.jit.load(os.path.join(model_dir, "model.pt"), map_location="cpu").state_dict()
    bart.load_hf_state_dict(model, {k: v.float() for k, v in sd.items()})
    return model, cfg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--max-new", type=int, default=32)
    ap.add_argument("--rows", type=int, default=6, help="heldout.jsonl rows to use (nano-bart)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model_dir = os.path.abspath(args.model_dir)
    model, cfg = load_eager(model_dir)
    tok = numwords.NumTokenizer()
    held = os.path.join(model_dir, "heldout.jsonl")
    targets = None
    if os.path.exists(held):
        with open(held, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f][:args.rows]
        texts, targets = [r["input"] for r in rows], [r["target"] for r in rows]
    else:
        texts = ["4817", "1000000", "7", "999999999", "20500", "31"]
    lens = sorted({len(t) for t in texts})
    ok = True
    got = run_java(model_dir, "float32", args.max_new, cfg, texts)
    src_ok = got["SRC"] == [tok.encode(t) for t in texts]
    want = [bart.greedy_reference(model, s, cfg.decoder_start_token_id, cfg.eos_token_id, args.max_new)
            for s in got["SRC"]]
    same = got["TOKENS"] == want
    py_text = [tok.decode(w) for w in want]
    text_ok = got["TEXT"] == py_text
    with torch.no_grad():
        ref = np.stack([model.logits_all(torch.tensor([s]), torch.tensor([[cfg.decoder_start_token_id]]))[0, -1].numpy()
                        for s in got["SRC"]])
    err = float(np.abs(got["LOGITS"] - ref).max())
    ok &= src_ok and same and text_ok and err < 1e-3
    print(f"DJL tokenizer ids == numwords.py ids: {src_ok} ({len(texts)} sources, digit counts {lens})")
    print(f"float32: DJL/libtorch 2.7.1 greedy tokens == Python recompute: {same}; first-step logits max |diff| "
          f"{err:.2e}; caches {got['CACHE']}; encode returned {got.get('ENCODE_RETURNS', '')[:40]}")
    print(f"DJL decode(skipSpecialTokens) == Python decode: {text_ok}")
    if targets is not None:
        match = sum(g == t for g, t in zip(got["TEXT"], targets))
        print(f"DJL output text == heldout.jsonl target: {match}/{len(targets)}")
        ok &= match == len(targets)
    for t, g in zip(texts, got["TEXT"]):
        print(f"  {t!r} -> {g!r}")
    if not same:
        print("java  ", got["TOKENS"])
        print("python", want)
    for dt in ("bfloat16", "float16"):
        g2 = run_java(model_dir, dt, 2, cfg, texts)
        cos = min(float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(g2["LOGITS"], ref))
        print(f"{dt} (cast; caches from new_cache_tensor/new_cross_cache_tensor: {g2['CACHE']}): min cosine of "
              f"first-step logits vs fp32 Python {cos:.5f}")
        ok &= cos > 0.98
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
