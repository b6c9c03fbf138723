"""Runs a served GPT-2 folder's model.pt through DJL 0.36 / libtorch 2.7.1 (the real fused SDPA kernels) and
checks it against the eager Python model (math path):

  * batched right-padded prefill of 3 prompts of different lengths into slots [2, 0, 3] of a 4-slot cache
    filled with garbage, then batched greedy decode steps, argmax in Java; the cache tensors are passed by
    reference, so the in-place writes made inside the graph carry over from call to call;
  * tokens must equal Python greedy decoding recomputed from scratch every step; first-step logits are
    compared numerically;
  * optionally, after cast("bfloat16"), one prefill is compared by cosine similarity.

    /usr/bin/python3 models/tools/decoder_java_check.py --model-dir models/nano-gpt --ckpt /tmp/nano-gpt-work/ckpt.pt
    /usr/bin/python3 models/tools/decoder_java_check.py --tiny     # a tiny random model in a temp folder

Needs javac/java and the DJL jars in ~/.m2 (api, pytorch-engine, pytorch-jni, pytorch-native-cpu 2.7.1).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import gpt2  # noqa: E402

JAVA = r"""
import ai.djl.Model;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.file.*;
import java.util.*;

public class DecCheck {
    // args: modelDir steps L H D castDtype prompt1 prompt2 prompt3 (prompts: comma-separated ids)
    public static void main(String[] a) throws Exception {
        Path dir = Paths.get(a[0]);
        int steps = Integer.parseInt(a[1]);
        int L = Integer.parseInt(a[2]), H = Integer.parseInt(a[3]), D = Integer.parseInt(a[4]);
        String dtype = a[5];
        List<long[]> prompts = new ArrayList<>();
        for (int i = 6; i < a.length; i++)
            prompts.add(Arrays.stream(a[i].split(",")).mapToLong(Long::parseLong).toArray());
        try (Model model = Model.newInstance("m", "PyTorch")) {
            JniUtils.setNumThreads(1);
            model.load(dir, "model");
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            IValueUtils.runMethod(block, "cast", IValue.from(dtype)).close();
            NDManager mgr = model.getNDManager();
            DataType dt = dtype.equals("float32") ? DataType.FLOAT32 : dtype.equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT16;
            int S = 4, M = 64, B = prompts.size();
            NDArray ck, cv;
            if (dt == DataType.FLOAT32) {  // stale garbage in the cache must never become visible
                ck = mgr.randomNormal(new Shape(L, S, H, M, D));
                cv = mgr.randomNormal(new Shape(L, S, H, M, D));
            } else {  // the model allocates its cache in its own dtype (DJL cannot create bf16 arrays)
                try (IValue k = IValueUtils.runMethod(block, "new_cache_tensor", IValue.from((long) S), IValue.from((long) M));
                     IValue v = IValueUtils.runMethod(block, "new_cache_tensor", IValue.from((long) S), IValue.from((long) M))) {
                    ck = k.toTensor((ai.djl.pytorch.engine.PtNDManager) mgr);
                    cv = v.toTensor((ai.djl.pytorch.engine.PtNDManager) mgr);
                }
            }
            long[] slots = {2, 0, 3};
            int T = 0;
            for (long[] p : prompts) T = Math.max(T, p.length);
            long[] ids = new long[B * T], pos = new long[B * T], li = new long[B];
            for (int b = 0; b < B; b++) {
                long[] p = prompts.get(b);
                for (int t = 0; t < T; t++) { ids[b * T + t] = t < p.length ? p[t] : 1; pos[b * T + t] = t; }
                li[b] = p.length - 1;
            }
            ParameterStore ps = new ParameterStore(mgr, false);
            NDList in = new NDList(mgr.create(ids, new Shape(B, T)), mgr.create(pos, new Shape(B, T)),
                    mgr.create(Arrays.copyOf(slots, B)), mgr.create(li), ck, cv);
            NDArray logits = block.forward(ps, in, false).singletonOrThrow();
            StringBuilder out = new StringBuilder();
            out.append("SHAPE ").append(logits.getShape()).append('\n');
            out.append("CACHE ").append(ck.getDataType()).append(' ').append(ck.getShape()).append('\n');
            float[] first = logits.toFloatArray();
            out.append("LOGITS");
            for (float f : first) out.append(' ').append(f);
            out.append('\n');
            long[][] toks = new long[B][steps];
            long[] cur = new long[B];
            for (int b = 0; b < B; b++) cur[b] = prompts.get(b).length;
            NDArray next = logits.argMax(1);
            for (int s = 0; s < steps; s++) {
                long[] nx = next.toLongArray();
                for (int b = 0; b < B; b++) toks[b][s] = nx[b];
                if (s == steps - 1) break;
                NDList step = new NDList(mgr.create(nx, new Shape(B, 1)), mgr.create(cur, new Shape(B, 1)),
                        mgr.create(Arrays.copyOf(slots, B)), mgr.create(new long[B]), ck, cv);
                next = block.forward(ps, step, false).singletonOrThrow().argMax(1);
                for (int b = 0; b < B; b++) cur[b]++;
            }
            for (int b = 0; b < B; b++) {
                out.append("TOKENS");
                for (long t : toks[b]) out.append(' ').append(t);
                out.append('\n');
            }
            System.out.print(out);
        }
    }
}
"""


def classpath() -> str:
    m2 = os.path.expanduser("~/.m2/repository")
    pats = ["ai/djl/api/0.36.0/api-0.36.0.jar", "ai/djl/pytorch/pytorch-engine/0.36.0/pytorch-engine-0.36.0.jar",
            "ai/djl/pytorch/pytorch-jni/2.7.1-0.36.0/pytorch-jni-2.7.1-0.36.0.jar",
            "ai/djl/pytorch/pytorch-native-cpu/2.7.1/pytorch-native-cpu-2.7.1-linux-x86_64.jar",
            "net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar", "org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar",
            "com/google/code/gson/gson/2.13.*/gson-2.13.*.jar",
            "org/apache/commons/commons-compress/1.27.1/commons-compress-1.27.1.jar"]
    jars = []
    for p in pats:
        found = sorted(glob.glob(os.path.join(m2, p)))
        if not found:
            raise FileNotFoundError(p)
        jars.append(found[-1])
    return ":".join(jars)


@torch.no_grad()
def greedy_recompute(model, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(model.logits_all(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt):]


def run_java(model_dir, steps, cfg, dtype, prompts):
    cp = classpath()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "DecCheck.java"), "w") as f:
            f.write(JAVA)
        subprocess.run(["javac", "-cp", cp, "-d", d, os.path.join(d, "DecCheck.java")], check=True)
        args = ["java", "-Dai.djl.offline=true", "-cp", cp + ":" + d, "DecCheck", model_dir, str(steps),
                str(cfg.n_layer), str(cfg.n_head), str(cfg.n_embd // cfg.n_head), dtype] + \
               [",".join(map(str, p)) for p in prompts]
        res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-4000:])
    logits, toks = None, []
    run_java.cache = ""
    for line in res.stdout.splitlines():
        if line.startswith("CACHE"):
            run_java.cache = line[6:]
        if line.startswith("LOGITS"):
            logits = np.array([float(x) for x in line.split()[1:]], dtype=np.float32)
        elif line.startswith("TOKENS"):
            toks.append([int(x) for x in line.split()[1:]])
    return logits.reshape(len(prompts), -1), toks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir")
    ap.add_argument("--ckpt", help="fp32 state dict with HF names (train_nano_gpt.py --work/ckpt.pt)")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--steps", type=int, default=24)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tmp = None
    if args.tiny:
        import convert_gpt2
        from tests.test_gpt2_cache import tiny_model
        model = tiny_model()
        cfg = gpt2.GPT2Config(vocab_size=97, n_positions=64, n_embd=32, n_layer=2, n_head=4)
        tmp = tempfile.TemporaryDirectory()
        tok = os.path.join(tmp.name, "tok.json")
        import bpe
        v, m = bpe.train_bpe(["abc abd abe " * 5], 97, verbose=False)
        bpe.ByteLevelBPE(v, m).save(tok)
        convert_gpt2.write_served_folder(model, cfg, tok, tmp.name)
        model_dir = tmp.name
    else:
        cfg = gpt2.GPT2Config.load(os.path.join(args.model_dir, "config.json"))
        model = gpt2.build(cfg).eval()
        gpt2.load_hf_state_dict(model, torch.load(args.ckpt, map_location="cpu"))
        model_dir = args.model_dir
    g = torch.Generator().manual_seed(7)
    prompts = [torch.randint(0, cfg.vocab_size - 1, (k,), generator=g).tolist() for k in (6, 13, 3)]
    tok_json = os.path.join(model_dir, "tokenizer.json")
    if not args.tiny and os.path.exists(tok_json):  # real text prompts of different lengths
        import bpe
        tok = bpe.ByteLevelBPE.load(tok_json)
        texts = ["And God said", "Psalms 23\n1 The LORD is my shepherd; I shall not want.\n2 He maketh me",
                 "John 1\n1 In the beginning was the Word,"]
        prompts = [[cfg.eos_token_id] + tok.encode(t) for t in texts]
    ok = True
    logits, toks = run_java(model_dir, args.steps, cfg, "float32", prompts)
    want = [greedy_recompute(model, p, args.steps) for p in prompts]
    ref = np.stack([model.logits_all(torch.tensor([p]))[0, -1].detach().numpy() for p in prompts])
    err = float(np.abs(logits - ref).max())
    same = toks == want
    ok &= same and err < 1e-3
    print(f"float32: DJL/libtorch 2.7.1 greedy tokens == Python recompute: {same} "
          f"({len(prompts)} rows x {args.steps} steps); first-step logits max |diff| {err:.2e}")
    if not same:
        print("java  ", toks)
        print("python", want)
    for dt in ("bfloat16", "float16"):
        logits, _ = run_java(model_dir, 2, cfg, dt, prompts)
        cos = min(float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(logits, ref))
        print(f"{dt} (cast, cache from new_cache_tensor: {run_java.cache}): min cosine of first-step logits "
              f"vs fp32 Python {cos:.5f}")
        ok &= cos > 0.98
    if tmp:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
