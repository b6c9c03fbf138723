package io.slmserve.batching;

/** What the aggregator needs to know about a queued request to fit it into a batch. */
public interface BatchInput {

    /** Rows this request adds to the forward call (one per input text). */
    int rows();

    /** Token length of its longest row; the batch is padded to the longest row overall. */
    int longestRow();
}
