package io.slmserve.testing;

import java.util.ArrayList;
import java.util.List;

/** Varied inputs for parity tests: short, long, over-long, punctuation, non-Latin scripts, emoji, repetition. */
public final class ParityInputs {

    private ParityInputs() {
    }

    public static List<String> normal() {
        List<String> inputs = new ArrayList<>(List.of(
                "Hello world!",
                "The quick brown fox jumps over the lazy dog.",
                "A man is eating food.",
                "A man is eating a piece of bread.",
                "The girl is carrying a baby.",
                "A man is riding a horse.",
                "A woman is playing violin.",
                "Two men pushed carts through the woods.",
                "A monkey is playing drums.",
                "What is the capital of France?",
                "Paris is the capital and most populous city of France.",
                "How do I reset my password?",
                "To reset your password, open settings and choose 'Forgot password'.",
                "Deep learning is a subset of machine learning based on neural networks.",
                "I love this product!!! Best purchase ever :)",
                "Terrible service; never coming back...",
                "e = mc^2, F = ma, and PV = nRT are famous equations.",
                "C++, Java, Python & Rust -- which one should I learn first?",
                "¿Dónde está la biblioteca?",
                "Où est la gare, s'il vous plaît ?",
                "Der schnelle braune Fuchs springt über den faulen Hund.",
                "Быстрая коричневая лиса прыгает через ленивую собаку.",
                "東京は日本の首都です。",
                "北京是中国的首都。",
                "서울은 한국의 수도입니다.",
                "القاهرة هي عاصمة مصر.",
                "यह एक परीक्षण वाक्य है।",
                "Ελληνικά γράμματα: α β γ δ.",
                "I am so happy 😀🎉 today!",
                "🚀🚀🚀 to the moon 🌕",
                "👩‍👩‍👧‍👦 family emoji with joiners",
                "buffalo buffalo buffalo buffalo buffalo buffalo buffalo buffalo",
                "the the the the the the the the the the the the the the the the",
                "a",
                "?",
                "...",
                "1234567890",
                "https://example.com/path?query=1&other=two#fragment",
                "user@example.com wrote: RE: RE: FWD: meeting notes",
                "    leading and trailing spaces    ",
                "Tabs\tand\nnew lines\nin the text",
                "UPPERCASE SHOUTING TEXT IS HERE",
                "camelCaseIdentifiersAndSnake_case_names",
                "The stock market crashed in 1929, leading to the Great Depression.",
                "Photosynthesis converts light energy into chemical energy in plants."));
        StringBuilder medium = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            medium.append("Sentence number ").append(i).append(" talks about embeddings and search. ");
        }
        inputs.add(medium.toString().trim());
        inputs.add("In the beginning God created the heaven and the earth. And the earth was without form, and void; "
                + "and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.");
        return inputs;
    }

    /** Inputs longer than 256 tokens, embedded with truncate=true. */
    public static List<String> overLong() {
        List<String> inputs = new ArrayList<>();
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            a.append("word").append(i % 17).append(' ');
        }
        inputs.add(a.toString());
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            b.append("The history of natural language processing generally started in the 1950s. ");
        }
        inputs.add(b.toString());
        StringBuilder c = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            c.append("語");
        }
        inputs.add(c.toString());
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            d.append("😀 ");
        }
        inputs.add(d.toString());
        return inputs;
    }
}
