package io.slmserve.api;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small HTTP helpers for the generation tests. */
final class Generate {

    private Generate() {
    }

    /** POST /generate with details; returns the JSON. */
    static JsonPath tgi(String inputs, Map<String, Object> parameters) {
        Map<String, Object> params = new HashMap<>(parameters);
        params.putIfAbsent("details", true);
        return given().contentType(ContentType.JSON).body(Map.of("inputs", inputs, "parameters", params))
                .post("/generate").then().statusCode(200).extract().jsonPath();
    }

    static String greedy(String inputs, int tokens) {
        return tgi(inputs, Map.of("max_new_tokens", tokens)).getString("generated_text");
    }

    /** The data payloads of a server-sent-event body. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data:")) {
                out.add(line.substring(5).strip());
            }
        }
        return out;
    }

    static double metric(String name) {
        String metrics = given().get("/q/metrics").asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }
}
