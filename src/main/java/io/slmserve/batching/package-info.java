/**
 * Dynamic batching for encoder models: a bounded queue per model, workers that each own one engine
 * session, and an aggregator that forms padded batches under a row, token and delay budget.
 *
 * <p>Imports only {@code core}: queue logic is tested against fake processors without a model.
 */
package io.slmserve.batching;
