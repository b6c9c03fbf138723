package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The trained cross-encoder (models/minilm-l3-verse-rerank) served over HTTP: MRR@10 over the 100 held-out
 * queries of its heldout.jsonl (10 candidate verses each: the source verse and its nearest verses), scored
 * through /rerank with raw scores, equals the figure in its card, and beats the cosine baseline, which this test
 * recomputes through /rerank on the served all-minilm-l6-v2 (embeddings, cosine) and checks against the card too.
 *
 * <p>Rank of the relevant verse: 1 + the number of other candidates scoring at least as high (ties count
 * against it), as train_minilm_rerank.py computes it. Tolerance {@link #TOLERANCE}: the card's figures come from
 * torch 1.13 in Python and the server runs libtorch 2.7.1, so a near-tie may flip; one query moving from rank 1
 * to rank 2 changes MRR@10 by 0.005.
 *
 * <p>Runs only once the folder holds a trained model.pt: train_minilm_rerank.py writes it (see its docstring for
 * why none is committed yet). Until then JUnit reports the test as skipped, never as passed.
 */
@QuarkusTest
@EnabledIf("modelPresent")
@TestProfile(TrainedRerankerQualityTest.Profile.class)
class TrainedRerankerQualityTest {

    static final String RERANKER = "minilm-l3-verse-rerank";
    static final String MINILM = "all-minilm-l6-v2";
    static final double TOLERANCE = 0.005;
    private static final Path FOLDER = Path.of("models", RERANKER);

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path root = Files.createTempDirectory("slm-trained-rerank-");
                for (String id : List.of(RERANKER, MINILM)) {
                    Files.createSymbolicLink(root.resolve(id), Path.of("models", id).toAbsolutePath());
                }
                root.toFile().deleteOnExit();
                return Map.of("slm.models-dir", root.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    record Item(String query, List<String> documents, int relevant) {
    }

    static boolean modelPresent() {
        return Files.isRegularFile(FOLDER.resolve("model.pt")) && Files.isRegularFile(FOLDER.resolve("heldout.jsonl"));
    }

    @Test
    void mrrAt10IsTheCardsAndBeatsTheCosineBaseline() throws Exception {
        ModelWait.ready();
        List<Item> items = heldout();
        assertEquals(100, items.size(), "held-out queries");
        String card = Files.readString(FOLDER.resolve("README.md"));
        double cardCross = cardFigure(card, "\\| " + RERANKER + " \\(cross-encoder\\) \\| ([0-9.]+) \\|");
        double cardCosine = cardFigure(card, "\\| " + MINILM + " cosine[^|]*\\| ([0-9.]+) \\|");

        double cross = mrrAt10(items, RERANKER, "cross-encoder");
        double cosine = mrrAt10(items, MINILM, "cosine");
        System.out.printf("held-out MRR@10: %s %.4f (card %.4f), %s cosine %.4f (card %.4f)%n", RERANKER, cross,
                cardCross, MINILM, cosine, cardCosine);
        assertEquals(cardCross, cross, TOLERANCE, "cross-encoder MRR@10 against its card");
        assertEquals(cardCosine, cosine, TOLERANCE, "cosine baseline MRR@10 against the card");
        assertTrue(cross > cosine, "the cross-encoder (" + cross + ") beats the cosine baseline (" + cosine + ")");
    }

    private static List<Item> heldout() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Item> items = new ArrayList<>();
        for (String line : Files.readAllLines(FOLDER.resolve("heldout.jsonl"))) {
            JsonNode n = json.readTree(line);
            List<String> docs = new ArrayList<>();
            n.get("documents").forEach(d -> docs.add(d.asText()));
            items.add(new Item(n.get("query").asText(), docs, n.get("relevant").asInt()));
        }
        return items;
    }

    private static double cardFigure(String card, String regex) {
        Matcher m = Pattern.compile(regex).matcher(card);
        assertTrue(m.find(), "the card has a row matching " + regex);
        return Double.parseDouble(m.group(1));
    }

    /** Four requests in flight at a time, so the dynamic batcher groups them as it does for real clients. */
    private static double mrrAt10(List<Item> items, String model, String scorer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Double>> reciprocal = new ArrayList<>();
            for (Item item : items) {
                reciprocal.add(pool.submit(() -> 1.0 / rank(item, model, scorer)));
            }
            double total = 0;
            for (Future<Double> r : reciprocal) {
                total += r.get();
            }
            return total / items.size();
        } finally {
            pool.shutdownNow();
        }
    }

    private static int rank(Item item, String model, String scorer) {
        JsonPath out = given().contentType(ContentType.JSON)
                .body(Map.of("model", model, "query", item.query(), "texts", item.documents(), "raw_scores", true))
                .post("/rerank").then().statusCode(200).header(RerankResource.SCORER_HEADER, scorer)
                .extract().jsonPath();
        List<Integer> index = out.getList("index", Integer.class);
        List<Double> score = out.getList("score", Double.class);
        double relevant = score.get(index.indexOf(item.relevant()));
        int rank = 1;
        for (int i = 0; i < index.size(); i++) {
            if (index.get(i) != item.relevant() && score.get(i) >= relevant) {
                rank++;
            }
        }
        return rank <= 10 ? rank : Integer.MAX_VALUE;
    }
}
