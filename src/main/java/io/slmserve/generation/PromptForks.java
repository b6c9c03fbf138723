package io.slmserve.generation;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * A prompt prefilled once for the choices that share it (n > 1, or identical prompts arriving together): a
 * newly seated sequence whose prompt equals a seated one's follows it instead of prefilling. It sits out the
 * forward calls until its leader's prompt is in the cache, then the session copies the leader's slot into its
 * own and it recomputes only its last prompt token (that row gives its first logits, as after a prefix-cache
 * hit). If the leader ends without being prefilled, the follower prefills its prompt itself. Worker thread only.
 */
final class PromptForks {

    private static final Logger LOG = Logger.getLogger(PromptForks.class);

    /** Shortest prompt worth a fork: below it the prefill is cheaper than waiting one step for the leader. */
    private final int minTokens;
    /** Follower to leader, in seating order. */
    private final Map<Sequence, Sequence> leaders = new LinkedHashMap<>();

    private final String model;
    private final ServingMetrics metrics;

    PromptForks(String model, int minTokens, ServingMetrics metrics) {
        this.model = model;
        this.minTokens = Math.max(1, minTokens);
        this.metrics = metrics;
    }

    /**
     * A sequence was seated (after the prefix cache chose its slot) beside {@code seated}: it follows the first
     * one-path sequence with its prompt, or else counts its prefix-cache hit now (a follower counts it on forking).
     */
    void seated(Sequence next, List<Sequence> seated) {
        if (next.beams() != null) {
            metrics.prefixCache(model, next.prompt().length, next.position);
            return;
        }
        for (Sequence s : seated) {
            // Once prefilled, a leader's slot keeps its prompt at positions 0..length-1 (generation writes after).
            if (s != next && s.beams() == null && !leaders.containsKey(s) && next.prompt().length - 1 >= minTokens
                    && Arrays.equals(s.prompt(), next.prompt())) {
                leaders.put(next, s);
                return;
            }
        }
        metrics.prefixCache(model, next.prompt().length, next.position);
    }

    /**
     * Called after admitting and after every forward call, before the next admission can reuse a finished
     * leader's slot: each follower whose leader is prefilled gets the leader's slot copied into its own (added
     * to {@code copies}) and starts at its last prompt token; one whose leader left unprefilled prefills alone.
     *
     * @param seated whether a sequence still holds its slot
     * @return the followers released, to run from the next call
     */
    private List<Sequence> resolve(Predicate<Sequence> seated, SlotCopies copies) {
        List<Sequence> released = new ArrayList<>();
        for (Iterator<Map.Entry<Sequence, Sequence>> it = leaders.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Sequence, Sequence> e = it.next();
            Sequence follower = e.getKey();
            Sequence leader = e.getValue();
            if (!seated.test(follower)) {
                it.remove();
            } else if (leader.prefilled() || !seated.test(leader)) {
                if (leader.prefilled()) {
                    copies.add(leader.slot, follower.slot);
                    follower.reuse(follower.prompt().length - 1);
                }
                released.add(follower);
                it.remove();
            }
        }
        return released;
    }

    /**
     * Resolves the followers ({@link #resolve}) and copies the slots of those that fork, in one call. A follower
     * counts its prefix-cache hit here, once it knows what it reuses.
     */
    void fork(DecoderSession session, Predicate<Sequence> seated,
              BiConsumer<List<Sequence>, RuntimeException> onFailure) {
        SlotCopies copies = new SlotCopies();
        List<Sequence> released = resolve(seated, copies);
        try {
            if (!copies.isEmpty()) {
                session.copySlots(copies.from(), copies.to());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "model %s: copying a prompt's cache slot failed", model);
            onFailure.accept(released, e);
            return;
        }
        released.forEach(s -> metrics.prefixCache(model, s.prompt().length, s.position));
    }

    /** Those of {@code running} that take part in the next call. */
    List<Sequence> runnable(List<Sequence> running) {
        if (leaders.isEmpty()) {
            return running;
        }
        List<Sequence> out = new ArrayList<>(running.size());
        for (Sequence s : running) {
            if (!leaders.containsKey(s)) {
                out.add(s);
            }
        }
        return out;
    }
}
