import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * fp32 (fp16-stored) against int8 all-MiniLM-L6-v2 archives through DJL/libtorch, next to ONNX Runtime on the
 * original ONNX file, one intra-op thread each, in interleaved rounds: median ms per forward pass (last hidden
 * state) at batch 1 and 32, short and long texts; and the time of each archive's cast("float32") at load.
 * Usage: bench/int8-encoder/run.sh (compiles this file against the DJL and ORT jars in ~/.m2).
 */
public final class Int8EncoderTiming {

    interface Forward {
        void run(long[][] ids, long[][] mask) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Path fp32Dir = Path.of(args[0]);
        Path int8Dir = Path.of(args[1]);
        String onnx = args[2];
        int rounds = Integer.parseInt(args[3]);
        HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(fp32Dir.resolve("tokenizer.json"),
                Map.of("padding", "false", "truncation", "true", "maxLength", "256"));
        String shortText = "A man is eating a piece of bread.";
        String longText = ("The history of natural language processing generally started in the 1950s, although "
                + "work can be found from earlier periods. ").repeat(6);
        try (Model fp32 = load(fp32Dir, "fp32"); Model int8 = load(int8Dir, "int8");
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession ort = env.createSession(onnx, options)) {
                Forward[] forwards = {djl(fp32), djl(int8), ortForward(env, ort)};
                String[] names = {"djl fp32", "djl int8", "ort"};
                for (String kind : List.of("short", "long")) {
                    Encoding e = tok.encode(kind.equals("short") ? shortText : longText);
                    for (int batch : new int[] {1, 32}) {
                        long[][] ids = new long[batch][];
                        long[][] mask = new long[batch][];
                        for (int i = 0; i < batch; i++) {
                            ids[i] = e.getIds();
                            mask[i] = e.getAttentionMask();
                        }
                        int reps = batch == 1 ? (kind.equals("short") ? 200 : 40) : (kind.equals("short") ? 20 : 4);
                        double[][] ms = new double[3][rounds];
                        for (Forward f : forwards) {
                            for (int i = 0; i < Math.max(2, reps / 4); i++) {
                                f.run(ids, mask);  // warm-up
                            }
                        }
                        for (int r = 0; r < rounds; r++) {
                            for (int m = 0; m < 3; m++) {
                                long t0 = System.nanoTime();
                                for (int i = 0; i < reps; i++) {
                                    forwards[m].run(ids, mask);
                                }
                                ms[m][r] = (System.nanoTime() - t0) / 1e6 / reps;
                            }
                        }
                        double base = median(ms[0]);
                        StringBuilder line = new StringBuilder(String.format("%-5s T=%3d batch %2d:", kind,
                                ids[0].length, batch));
                        for (int m = 0; m < 3; m++) {
                            line.append(String.format("  %s %.2f ms (%.2fx)", names[m], median(ms[m]),
                                    median(ms[m]) / base));
                        }
                        System.out.println(line);
                    }
                }
            }
        }
    }

    private static Model load(Path dir, String name) throws Exception {
        Model model = Model.newInstance(name, "PyTorch");
        model.load(dir, "model");
        long t0 = System.nanoTime();
        IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "cast", IValue.from("float32")).close();
        System.out.printf("%s: cast(\"float32\") %.1f ms%n", name, (System.nanoTime() - t0) / 1e6);
        return model;
    }

    private static Forward djl(Model model) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        NDManager root = model.getNDManager();
        ParameterStore ps = new ParameterStore(root, false);
        return (ids, mask) -> {
            try (NDManager m = root.newSubManager()) {
                NDArray i = m.create(ids);
                NDList out = block.forward(ps, new NDList(i, m.create(mask), m.zeros(i.getShape(), i.getDataType())),
                        false);
                out.get(0).toFloatArray();
            }
        };
    }

    private static Forward ortForward(OrtEnvironment env, OrtSession ort) {
        return (ids, mask) -> {
            long[][] types = new long[ids.length][ids[0].length];
            try (OnnxTensor a = OnnxTensor.createTensor(env, ids); OnnxTensor b = OnnxTensor.createTensor(env, mask);
                    OnnxTensor c = OnnxTensor.createTensor(env, types);
                    OrtSession.Result r = ort.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
                r.get(0).getValue();
            }
        };
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
