"""Which int8 form keeps all-MiniLM-L6-v2's embeddings within cosine 0.999 of fp32 (the table behind the int8
paragraphs of docs/model-format-decoder.md and docs/model-format.md). Each form is emulated in fp32 on the eager
model (torch 1.13): weights rounded to int8 with a scale per output row or per G inputs, activations of every
linear layer rounded per row to 7 bits (QLinear's form), 8 bits (reduce_range=False) or twice 7 bits
(x, then its rounding error: two int8 GEMMs), some layers kept fp32, the word embeddings int8 per row. Inputs:
the 51 of the Java tests' ParityInputs (over-long ones cut to 256 tokens, as the server truncates) and
verify_minilm.py's 8 sentences one by one and as a padded batch; cosine of mean-pooled, normalised embeddings.

    nice -n 10 /usr/bin/python3 models/tools/int8_encoder_forms.py --onnx X/all-minilm-l6-v2.onnx
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import convert_minilm  # noqa: E402
import verify_minilm  # noqa: E402
from slmtorch import bert, qlinear  # noqa: E402
from slmtorch.wordpiece import WordPieceTokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# src/test/java/io/slmserve/testing/ParityInputs.java, normal() then overLong()
PARITY = [
    "Hello world!", "The quick brown fox jumps over the lazy dog.", "A man is eating food.",
    "A man is eating a piece of bread.", "The girl is carrying a baby.", "A man is riding a horse.",
    "A woman is playing violin.", "Two men pushed carts through the woods.", "A monkey is playing drums.",
    "What is the capital of France?", "Paris is the capital and most populous city of France.",
    "How do I reset my password?", "To reset your password, open settings and choose 'Forgot password'.",
    "Deep learning is a subset of machine learning based on neural networks.",
    "I love this product!!! Best purchase ever :)", "Terrible service; never coming back...",
    "e = mc^2, F = ma, and PV = nRT are famous equations.",
    "C++, Java, Python & Rust -- which one should I learn first?", "¿Dónde está la biblioteca?",
    "Où est la gare, s'il vous plaît ?", "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.", "東京は日本の首都です。", "北京是中国的首都。",
    "서울은 한국의 수도입니다.", "القاهرة هي عاصمة مصر.", "यह एक परीक्षण वाक्य है।", "Ελληνικά γράμματα: α β γ δ.",
    "I am so happy 😀🎉 today!", "🚀🚀🚀 to the moon 🌕", "👩‍👩‍👧‍👦 family emoji with joiners",
    "buffalo buffalo buffalo buffalo buffalo buffalo buffalo buffalo",
    "the the the the the the the the the the the the the the the the", "a", "?", "...", "1234567890",
    "https://example.com/path?query=1&other=two#fragment", "user@example.com wrote: RE: RE: FWD: meeting notes",
    "    leading and trailing spaces    ", "Tabs\tand\nnew lines\nin the text", "UPPERCASE SHOUTING TEXT IS HERE",
    "camelCaseIdentifiersAndSnake_case_names", "The stock market crashed in 1929, leading to the Great Depression.",
    "Photosynthesis converts light energy into chemical energy in plants.",
    " ".join("Sentence number %d talks about embeddings and search." % i for i in range(12)),
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness "
    "was upon the face of the deep. And the Spirit of God moved upon the face of the waters.",
    "".join("word%d " % (i % 17) for i in range(150)),
    "The history of natural language processing generally started in the 1950s. " * 60, "語" * 300, "😀 " * 300,
]


def rows_round(x, levels):
    """x rounded per row to multiples of max|x| / levels (QLinear's 7 bits: 63; 8 bits: 127)."""
    s = x.abs().amax(-1, keepdim=True).clamp_min(1e-30) / levels
    return torch.round(x / s) * s


class Forms:
    def __init__(self, onnx_path):
        self.tok = WordPieceTokenizer.from_file(os.path.join(ROOT, "models", "all-minilm-l6-v2", "tokenizer.json"))
        seqs = [self.tok.encode(s) for s in PARITY + verify_minilm.SENTENCES]
        self.seqs = [s if len(s) <= 256 else s[:255] + [s[-1]] for s in seqs]
        self.model, _ = convert_minilm.build_eager(onnx_path)
        self.linears = {n: m for n, m in self.model.named_modules() if isinstance(m, bert.Linear)}
        self.w0 = {n: m.weight.detach().clone() for n, m in self.linears.items()}
        self.emb = self.model.embeddings.word_embeddings
        self.e0 = self.emb.weight.detach().clone()
        self.ref = self.embed()

    @torch.no_grad()
    def embed(self):
        out = []
        for s in self.seqs:
            i = torch.tensor([s])
            out.append(F.normalize(self.model(i, torch.ones_like(i), torch.zeros_like(i)).mean(1), dim=-1)[0])
        ids, mask = self.tok.batch(verify_minilm.SENTENCES)
        i, m = torch.tensor(ids), torch.tensor(mask)
        h = self.model(i, m, torch.zeros_like(i))
        out += list(F.normalize((h * m[..., None]).sum(1) / m.sum(1, keepdim=True), dim=-1))
        return torch.stack(out)

    @torch.no_grad()
    def run(self, name, group=0, act=None, keep=(), int8_embeddings=False):
        for n, m in self.linears.items():
            w = self.w0[n]
            m.weight.copy_(w if any(k in n for k in keep) else qlinear.dequantize_groups(
                *qlinear.quantize_groups(w, group)))
        if int8_embeddings:
            self.emb.weight.copy_(qlinear.dequantize_groups(*qlinear.quantize_groups(self.e0, 0)))
        plain = bert.Linear.forward
        if act is not None:
            bert.Linear.forward = lambda mod, x: F.linear(act(x), mod.weight, mod.bias)
        try:
            cos = (self.embed() * self.ref).sum(-1)
        finally:
            bert.Linear.forward = plain
            for n, m in self.linears.items():
                m.weight.copy_(self.w0[n])
            self.emb.weight.copy_(self.e0)
        print("%-58s worst %.6f  median %.6f  below 0.999: %d of %d" % (
            name, cos.min(), cos.median(), int((cos < 0.999).sum()), len(cos)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    f = Forms(a.onnx)
    f.run("int8 weights per output row, fp32 activations")
    f.run("  + activations 7 bits per row (QLinear)", act=lambda x: rows_round(x, 63))
    f.run("  + activations 8 bits per row (reduce_range=False)", act=lambda x: rows_round(x, 127))
    f.run("  + activations two 7-bit passes", act=lambda x: rows_round(x, 63) + rows_round(x - rows_round(x, 63), 63))
    for keep in ("query", "key", "value", "attention.output.dense", "intermediate", "layer.%d.output.dense"):
        if "%d" in keep:
            keep = tuple("layer.%d.output.dense" % i for i in range(6))
            name = "FFN output"
        else:
            name, keep = keep, (keep,)
        f.run("  per output row, %s kept fp32" % name, keep=keep)
    for layer in range(6):
        f.run("  per output row, layer %d kept fp32" % layer, keep=("layer.%d." % layer,))
    for g in (128, 64, 32):
        f.run("scale per %d inputs" % g, group=g)
        f.run("scale per %d inputs, word embeddings int8 per row" % g, group=g, int8_embeddings=True)


if __name__ == "__main__":
    main()
