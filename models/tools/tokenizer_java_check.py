"""Checks that DJL's HuggingFaceTokenizer (Rust tokenizers, what the server runs) gives the same ids as bpe.py
on a tokenizer.json, and that decode round-trips. For a WordLevel tokenizer.json (nano-bart) the reference is
slmtorch/numwords.py instead, on digit strings and number words, and DJL's decode (with and without
skip-special-tokens) must equal numwords.py's. Compiles a tiny Java program with javac against the jars in
~/.m2 (ai.djl:api and ai.djl.huggingface:tokenizers 0.36.0, jna 5.17.0, slf4j-api, gson)::

    /usr/bin/python3 models/tools/tokenizer_java_check.py models/nano-gpt/tokenizer.json
    /usr/bin/python3 models/tools/tokenizer_java_check.py models/nano-bart/tokenizer.json
    /usr/bin/python3 models/tools/tokenizer_java_check.py models/nano-t5/tokenizer.json

For the Unigram tokenizer.json of nano-t5 the reference is slmtorch/numdigits.py (ids with the appended
``</s>``, and decode with and without skip-special-tokens).

Exit status 0 when every sentence matches.
"""
import base64
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from slmtorch import numdigits, numwords  # noqa: E402

SENTENCES = [
    "In the beginning God created the heaven and the earth.",
    "And God said, Let there be light: and there was light.",
    "café naïve résumé — “quoted” ‘text’ … façade",
    "日本語のテキストと中文。",
    "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν",
    "Emoji: 🙂👍🏽 and ZWJ 👨‍👩‍👧 done",
    "In 1611, 3.14 and ² ½ ٣ numbers 123456789",
    "  multiple   spaces\t\tand tabs  trailing   ",
    "I'm sure you can't, we'll see, they've, she'd, it's OK's",
    "first<|endoftext|>second <|endoftext|> third",
    "non\u00a0breaking\u00a0space and Ωmega ÆØÅ æøå ß Straße İstanbul",
    "Lines\nwith\n\nnewlines\r\nand CRLF",
]

UNIGRAM_SENTENCES = [
    "four thousand eight hundred seventeen", "Twenty-One", "one million one", "zero", "4817", "0",
    "  two   hundred  ",
    "nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine",
    "seven hundreds", "fourty two", "x-ray 42", "héllo wörld", "<pad> five </s>", "",
]

NUMBER_SENTENCES = [
    "4817", "0", "7", "1000000", "999999999", "20500", " 42 ", "12 34", "00042",
    "four thousand eight hundred seventeen", "twenty-one", "one million", "<s> 7 </s>", "4,817", "abc 5",
    "nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine </s>",
]

JAVA = r"""
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

public class TokCheck {
    static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }

    public static void main(String[] a) throws Exception {
        HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(Paths.get(a[0]));
        String all = new String(Files.readAllBytes(Paths.get(a[1])), StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        for (String s : all.split("\u0001", -1)) {
            long[] ids = tok.encode(s).getIds();
            String dec = tok.decode(ids, false);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < ids.length; i++) line.append(i == 0 ? "" : " ").append(ids[i]);
            out.append(line).append('\t').append(dec.equals(s) ? "RT_OK" : "RT_FAIL").append('\t').append(b64(dec))
               .append('\t').append(b64(tok.decode(ids, true))).append('\n');
        }
        System.out.print(out);
    }
}
"""


def classpath() -> str:
    m2 = os.path.expanduser("~/.m2/repository")
    jars = [
        f"{m2}/ai/djl/api/0.36.0/api-0.36.0.jar",
        f"{m2}/ai/djl/huggingface/tokenizers/0.36.0/tokenizers-0.36.0.jar",
        f"{m2}/net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar",
    ]
    for pattern in (f"{m2}/org/slf4j/slf4j-api/2.*/slf4j-api-2.*.jar", f"{m2}/com/google/code/gson/gson/2.*/gson-2.*.jar"):
        found = sorted(glob.glob(pattern))
        if not found:
            raise FileNotFoundError(pattern)
        jars.append(found[-1])
    for j in jars:
        if not os.path.exists(j):
            raise FileNotFoundError(j)
    return ":".join(jars)


def main() -> int:
    tok_path = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "models/nano-gpt/tokenizer.json")
    with open(tok_path, encoding="utf-8") as f:
        kind = json.load(f)["model"]["type"]
    word_level = kind == "WordLevel"
    unigram = kind == "Unigram"
    sentences = NUMBER_SENTENCES if word_level else UNIGRAM_SENTENCES if unigram else SENTENCES
    tok = (numwords.NumTokenizer() if word_level else numdigits.DigitsTokenizer() if unigram
           else bpe.ByteLevelBPE.load(tok_path))
    cp = classpath()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "TokCheck.java"), "w") as f:
            f.write(JAVA)
        with open(os.path.join(d, "in.txt"), "w", encoding="utf-8") as f:
            f.write("\u0001".join(sentences))
        subprocess.run(["javac", "-cp", cp, "-d", d, os.path.join(d, "TokCheck.java")], check=True)
        res = subprocess.run(["java", "-cp", cp + ":" + d, "TokCheck", tok_path, os.path.join(d, "in.txt")],
                             check=True, capture_output=True, text=True, encoding="utf-8")
    lines = res.stdout.rstrip("\n").split("\n")
    bad = 0
    for s, line in zip(sentences, lines):
        ids_s, rt, dec_b64, dec_skip_b64 = line.split("\t")
        jids = [int(x) for x in ids_s.split()] if ids_s else []
        dec, dec_skip = (base64.b64decode(x).decode("utf-8") for x in (dec_b64, dec_skip_b64))
        py = tok.encode(s, add_eos=True) if unigram else tok.encode(s)
        if unigram:  # lowercasing and space runs make decode differ from the input; numdigits.py is the reference
            ok = py == jids and dec == tok.decode(py, skip_special=False) and dec_skip == tok.decode(py)
        elif word_level:  # words and digits lose their spacing; decoding is checked against numwords.py
            ok = py == jids and dec == tok.decode(py, skip_special=False) and dec_skip == tok.decode(py)
        else:
            ok = py == jids and rt == "RT_OK" and tok.decode(py) == s
        bad += not ok
        print(("OK  " if ok else "BAD ") + f"{len(py):3d} tokens  {s!r}" + (f" -> {dec_skip!r}" if word_level or unigram else ""))
        if py != jids:
            print(f"     python {py}\n     java   {jids}")
    what = "identical ids and decode" if word_level else "identical ids and decode round-trip"
    print(f"{len(sentences) - bad}/{len(sentences)} sentences: {what}")
    return 1 if bad or len(lines) != len(sentences) else 0


if __name__ == "__main__":
    sys.exit(main())
