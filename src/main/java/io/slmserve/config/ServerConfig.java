package io.slmserve.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** Server-wide settings. Every key can be set as {@code -Dslm...} or {@code SLM_...} environment variable. */
@ConfigMapping(prefix = "slm")
public interface ServerConfig {

    /** Folder scanned at start; each sub-folder with serving.properties or model.pt is a model. */
    @WithDefault("models")
    Path modelsDir();

    /**
     * Threads loading model folders at start (and registered ones): 0 is one per core. Each load is mostly one
     * thread (TorchScript parsing, tokenizer, a one-thread warm-up), so two cores load two models at once.
     */
    @WithDefault("0")
    int loaderThreads();

    Engine engine();

    Limits limits();

    Health health();

    Auth auth();

    Constraints constraints();

    /** Structured output (response_format, guided_*, grammar): compile limits and the compiled-constraint cache. */
    interface Constraints {
        /** Whitespace characters allowed between JSON tokens; small, so a model cannot loop on spaces. */
        @WithDefault("2")
        int maxWhitespace();

        /** Nesting depth of json_object output and of schema parts that allow any JSON value. */
        @WithDefault("3")
        int jsonDepth();

        /** Byte-automaton states above which a constraint is refused with 400. */
        @WithDefault("20000")
        int maxStates();

        /** Characters of a schema, regex or choice list above which it is refused with 400. */
        @WithDefault("65536")
        int maxSchemaChars();

        /** Compiled constraints kept at most. */
        @WithDefault("256")
        int cacheEntries();

        /** Estimated MiB of compiled constraints (automata and allowed-token sets) kept at most. */
        @WithDefault("256")
        int cacheMib();
    }

    /** DJL / libtorch thread settings. */
    interface Engine {
        /** Intra-op threads per worker; one worker per core with one thread each beats one fat worker here. */
        @WithDefault("1")
        int intraOpThreads();

        /**
         * Intra-op threads of an encoder forward call that runs alone in the process (no other forward call of
         * any model running when it starts): 0 is every core, 1 keeps every call at intra-op-threads.
         */
        @WithDefault("0")
        int soloIntraOpThreads();

        /**
         * The smallest encoder call, in tokens with padding, that widens to solo-intra-op-threads: a lone short
         * text ran slower on two cores inside the server (bench/README.md). Decoder and seq2seq steps widen
         * at any size (their one-row steps read every weight, which two cores read faster).
         */
        @WithDefault("64")
        int soloMinTokens();

        /**
         * Archives that export pack_fp16_weights() run their linear layers through FBGEMM's fp16-weight GEMM where
         * that is lossless (float32 weights that are all fp16 values): encoders stored in fp16 (all-MiniLM-L6-v2's:
         * one short text 2-3x faster than MKL's sgemm on AVX2) and decoders written with convert.py --fp16-weights
         * (layers and a tied LM head; one decode step of GPT-2 small 0.56x, SmolLM2-135M 0.61x the float32 step on
         * oneDNN, 16 rows 1.08-1.31x the tokens/s: bench/generation/README.md). false keeps the float32 GEMMs.
         */
        @WithDefault("true")
        boolean fp16WeightGemm();

        /**
         * Decoder archives that export pack_cpu_weights() move their float32 linear layers on the CPU into oneDNN's
         * blocked layout once at load and run them through oneDNN instead of MKL's sgemm: on AVX2 cores without
         * Intel's kernels an 8-token prefill is 1.4-1.7x faster and 16 streams 1.2-1.4x, one row no slower
         * (bench/generation/README.md). Memory stays about the same (the plain weights are released). false keeps MKL.
         */
        @WithDefault("true")
        boolean packCpuWeights();

        /**
         * With pack-cpu-weights: a decoder whose LM head shares the token embedding's weight (tied, as in GPT-2,
         * SmolLM2, Qwen2.5-0.5B, Gemma) also gets a copy of that table in oneDNN's layout for the head, while the
         * lookup keeps the plain one. Costs the table's bytes again (GPT-2 small +154 MB, SmolLM2-135M +113 MB,
         * Qwen2.5-0.5B +545 MB); one decode step was 4-8% faster (bench/generation/README.md). false: the head
         * reads the plain table.
         */
        @WithDefault("true")
        boolean packTiedHead();

        /**
         * Decoders whose archive records the fused CPU decode ops (src/main/native; the Llama family and GPT-2 as
         * converted from 2026-12-07 on) run one-token float32 CPU steps through them: a SmolLM2-135M int8 step 0.69x
         * the time of the TorchScript forms, float32 0.85x (bench/generation/README.md). false: the archive's
         * TorchScript forms (its set_kernels method), to compare or to rule a kernel out. Other archives ignore it.
         */
        @WithDefault("true")
        boolean fusedKernels();

        /**
         * Once decoders or encoder-decoders on the CPU have loaded (in the background, after the last load), the
         * process's dense anonymous memory (their weights, packed copies and KV caches) is collapsed onto 2 MiB
         * transparent huge pages with madvise (Linux 6.1+): a one-row decode step streams every weight, and in one
         * process it took 0.94-0.98x the time on huge pages (bench/generation/README.md). Where the kernel
         * refuses, the memory stays as it was and the log says why. false leaves the pages to the kernel.
         */
        @WithDefault("true")
        boolean hugePages();

        /** Inter-op threads of libtorch (process-wide, fixed at engine start). */
        @WithDefault("1")
        int interOpThreads();

        /** Default device of every model ({@code cpu}, {@code gpu}, {@code gpu:N}); option.device overrides it. */
        @WithDefault("cpu")
        String device();

        /** Default weight dtype (float32|fp32, float16|fp16, bfloat16|bf16); option.dtype overrides it. */
        @WithDefault("float32")
        String dtype();

        /** Refuse to start when a GPU is asked for but none is visible, instead of falling back to CPU. */
        @WithDefault("false")
        boolean requireGpu();

        /**
         * TorchScript's graph executor optimizer (process-wide, fixed at engine start). Off: on CPU it fused
         * nothing here yet re-optimized each method's graph on its second call, most of a decoder's load time
         * (docs/startup.md).
         */
        @WithDefault("false")
        boolean graphOptimizer();
    }

    /** Per-request limits; exceeding any is a 4xx. */
    interface Limits {
        /** Most inputs (strings or token arrays) in one embeddings request. */
        @WithDefault("512")
        int maxInputsPerRequest();

        /** Longest input string in characters, checked before tokenizing. */
        @WithDefault("100000")
        int maxInputChars();

        /** Seconds suggested by Retry-After on 429 and 503. */
        @WithDefault("1")
        int retryAfterSeconds();

        /**
         * Default deadline of an inference request, from arrival to the last byte; past it queued work is dropped
         * and running work stops, answered 504. 0 means none. X-Request-Timeout sets it per request.
         */
        @WithDefault("60s")
        java.time.Duration requestTimeout();

        /** Largest X-Request-Timeout a caller may ask for (400 beyond it). */
        @WithDefault("10m")
        java.time.Duration maxRequestTimeout();

        /** Most tokens one generation may ask for (max_tokens, max_new_tokens; 400 beyond), and the default cap. */
        @WithDefault("2048")
        int maxNewTokens();

        /** Most choices per generation request (n, and best_of, which must equal n). */
        @WithDefault("16")
        int maxChoices();

        /** Most stop strings per request. */
        @WithDefault("4")
        int maxStopStrings();

        /** Longest stop string in characters. */
        @WithDefault("256")
        int maxStopChars();

        /** Most logit_bias entries per request. */
        @WithDefault("300")
        int maxLogitBias();
    }

    /** Optional API keys. With none configured the server is open (run it behind a gateway then). */
    interface Auth {
        /** Accepted bearer tokens for every inference endpoint; empty means no authentication. */
        java.util.Optional<java.util.List<String>> apiKeys();

        /** When set, the management verbs (POST, PUT, DELETE under /models) need this key instead of an API key. */
        java.util.Optional<String> adminKey();

        /** Whether /q/metrics also needs a key (health probes never do). */
        @WithDefault("false")
        boolean protectMetrics();
    }

    /** Readiness policy. */
    interface Health {
        /** When true, a FAILED model keeps readiness DOWN; by default the others still serve. */
        @WithDefault("false")
        boolean failOnModelError();
    }
}
