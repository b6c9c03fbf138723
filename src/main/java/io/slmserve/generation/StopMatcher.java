package io.slmserve.generation;

import java.util.List;

/**
 * Finds stop strings in generated text as it grows, across token boundaries. Text that could still be the
 * start of a stop string is held back, so released text never contains any part of a stop string and the
 * streamed pieces always add up to the final text.
 */
final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Appends newly decoded text; returns what may be released now. */
    String offer(String text) {
        if (stopped) {
            return "";
        }
        pending.append(text);
        if (stops.isEmpty()) {
            return drain(pending.length());
        }
        int earliest = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String out = pending.substring(0, earliest);
            pending.setLength(0);
            return out;
        }
        return drain(pending.length() - heldBack());
    }

    /** True once a stop string matched; the sequence must end. */
    boolean stopped() {
        return stopped;
    }

    /** At the end (for another reason): the held-back text is released after all. */
    String flush() {
        return drain(pending.length());
    }

    /** Length of the longest suffix of pending that is a proper prefix of some stop string. */
    private int heldBack() {
        int best = 0;
        for (String stop : stops) {
            int max = Math.min(stop.length() - 1, pending.length());
            for (int k = max; k > best; k--) {
                if (endsWith(stop, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private boolean endsWith(String stop, int k) {
        int start = pending.length() - k;
        for (int i = 0; i < k; i++) {
            if (pending.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String drain(int count) {
        String out = pending.substring(0, count);
        pending.delete(0, count);
        return out;
    }
}
