package io.slmserve.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.slmserve.core.LoraAdapter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A slot's cached keys and values were computed with one adapter (or the base): only that adapter reuses them. */
class PrefixCacheAdapterTest {

    private static LoraAdapter adapter(String name) {
        return new LoraAdapter(name, 1, 1, Map.of("t", new float[] {1}), Map.of("t", new float[] {1}));
    }

    @Test
    void reusesAPrefixOnlyUnderTheAdapterThatComputedIt() {
        LoraAdapter a = adapter("a");
        LoraAdapter b = adapter("b");
        long[] cached = {1, 2, 3, 4, 5, 6, 7, 8};
        long[] prompt = {1, 2, 3, 4, 5, 6, 9};
        PrefixCache cache = new PrefixCache(2, 2);
        cache.remember(0, cached, a);
        cache.remember(1, new long[] {42}, null);
        assertEquals(new PrefixCache.Choice(0, 6), cache.choose(slot -> true, prompt, a));
        assertEquals(0, cache.choose(slot -> true, prompt, b).reused(), "another adapter's prefix");
        assertEquals(0, cache.choose(slot -> true, prompt, null).reused(), "the base must not reuse an adapter's");
        cache.remember(1, cached, null);
        assertEquals(new PrefixCache.Choice(1, 6), cache.choose(slot -> true, prompt, null));
    }
}
