// llama.cpp (through node-llama-cpp, pinned to 3.21.1 by peers.sh, its prebuilt CPU binaries) on a GGUF file:
// greedy decoding of TOKENS new tokens from a prompt of token ids, sequences back to back for SECONDS after one
// warm-up sequence, STREAMS sequences at a time in one context (node-llama-cpp puts the sequences' pending
// tokens into one llama_decode batch, llama.cpp's own continuous batching). Prints one JSON line.
//
//   node bench/generation/llamacpp_bench.mjs GGUF IDS TOKENS SECONDS STREAMS THREADS LABEL
import {getLlama} from "node-llama-cpp";

const [gguf, idsArg, tokensArg, secondsArg, streamsArg, threadsArg, label] = process.argv.slice(2);
const ids = idsArg.split(",").map(Number);
const tokens = Number(tokensArg), seconds = Number(secondsArg), streams = Number(streamsArg);
const threads = Number(threadsArg);

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: gguf, gpuLayers: 0});
const context = await model.createContext({sequences: streams, contextSize: streams * (ids.length + tokens + 16),
    batchSize: Math.max(512, streams * 8), threads});

let firstTokens = null;  // the greedy tokens of the warm-up sequence, to compare with the other engines

async function sequenceRun(seq) {  // -> [prefill ms (first token included), decode ms for the rest]
    await seq.clearHistory();
    const t0 = performance.now();
    let t1 = t0, n = 0;
    const seen = [];
    for await (const token of seq.evaluate(ids, {temperature: 0})) {
        n++;
        seen.push(token);
        if (firstTokens === null && n >= tokens) firstTokens = seen;
        if (n === 1) t1 = performance.now();
        if (n >= tokens) break;
    }
    return [t1 - t0, performance.now() - t1];
}

const sequences = [];
for (let s = 0; s < streams; s++) sequences.push(context.getSequence());
await sequenceRun(sequences[0]);  // warm-up
const deadline = performance.now() + seconds * 1000;
const start = performance.now();
let generated = 0, count = 0, prefill = 0, decode = 0;
await Promise.all(sequences.map(async (seq) => {
    do {
        const [p, d] = await sequenceRun(seq);
        generated += tokens; count++; prefill += p; decode += d;
    } while (performance.now() < deadline);
}));
const wall = (performance.now() - start) / 1000;
console.log(JSON.stringify({engine: "llama.cpp (node-llama-cpp 3.21.1)", weights: label, streams, threads,
    sequences: count, tokens: generated, wall_s: wall, tokens_per_s: generated / wall,
    ms_per_token: wall * 1000 * streams / generated, decode_ms_per_step: decode / count / (tokens - 1),
    prefill_ms: prefill / count, prompt_tokens: ids.length, first_tokens: firstTokens}));
await context.dispose();
await model.dispose();
