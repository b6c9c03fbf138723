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
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Engine-side checks of the models built by models/tools, outside the server (see models/tools/run-djl-check.sh).
 *
 * <pre>
 * tokens MODEL_DIR TEXTS_FILE      one JSON array of token ids per input line, from DJL's HuggingFaceTokenizer
 * run MODEL_DIR CASES_JSON [DTYPE] loads model.pt under libtorch, calls cast(DTYPE, default "float32"), runs each case
 *                                  ({input_ids: [[..]], attention_mask: [[..]], expected: [..] flattened}) and
 *                                  prints the max abs difference and cosine against the expected output
 * </pre>
 */
public final class DjlCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("tokens")) {
            try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(Paths.get(args[1])).optAddSpecialTokens(true).build()) {
                for (String line : Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8)) {
                    Encoding e = tok.encode(line);
                    System.out.println(Arrays.toString(e.getIds()).replace(" ", ""));
                }
            }
            return;
        }
        Path dir = Paths.get(args[1]);
        JsonArray cases = new Gson().fromJson(Files.readString(Paths.get(args[2])), JsonArray.class);
        try (Model model = Model.newInstance("check", "PyTorch")) {
            model.load(dir, "model");
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            String dtype = args.length > 3 ? args[3] : "float32";
            IValueUtils.runMethod(block, "cast", IValue.from(dtype)).close();
            NDManager m = model.getNDManager();
            double worstCos = 1.0;
            double worstAbs = 0.0;
            for (JsonElement el : cases) {
                JsonObject c = el.getAsJsonObject();
                long[][] ids = longs2(c.getAsJsonArray("input_ids"));
                long[][] mask = longs2(c.getAsJsonArray("attention_mask"));
                try (NDManager sub = m.newSubManager()) {
                    NDArray i = sub.create(ids);
                    NDArray a = sub.create(mask);
                    NDArray t = sub.zeros(i.getShape(), i.getDataType());
                    NDList out = block.forward(new ParameterStore(sub, false), new NDList(i, a, t), false);
                    float[] got = out.singletonOrThrow().toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                            .toFloatArray();
                    JsonArray exp = c.getAsJsonArray("expected");
                    double dot = 0, ng = 0, ne = 0, maxAbs = 0;
                    if (exp.size() != got.length) {
                        throw new IllegalStateException("size " + got.length + " vs " + exp.size());
                    }
                    for (int k = 0; k < got.length; k++) {
                        double e = exp.get(k).getAsDouble();
                        dot += got[k] * e;
                        ng += (double) got[k] * got[k];
                        ne += e * e;
                        maxAbs = Math.max(maxAbs, Math.abs(got[k] - e));
                    }
                    double cos = dot / Math.sqrt(ng * ne);
                    worstCos = Math.min(worstCos, cos);
                    worstAbs = Math.max(worstAbs, maxAbs);
                    System.out.printf("case %s shape %s cos %.9f maxabs %.3e%n", c.get("name").getAsString(),
                            out.singletonOrThrow().getShape(), cos, maxAbs);
                }
            }
            System.out.printf("RESULT min cosine %.9f max abs %.3e%n", worstCos, worstAbs);
        }
    }

    private static long[][] longs2(JsonArray a) {
        List<long[]> rows = new ArrayList<>();
        for (JsonElement r : a) {
            JsonArray ra = r.getAsJsonArray();
            long[] row = new long[ra.size()];
            for (int k = 0; k < row.length; k++) {
                row[k] = ra.get(k).getAsLong();
            }
            rows.add(row);
        }
        return rows.toArray(new long[0][]);
    }
}
