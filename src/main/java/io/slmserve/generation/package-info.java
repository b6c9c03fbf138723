/**
 * Text generation for decoders and encoder-decoders: the iteration-level scheduler (admit into free KV-cache
 * slots, one forward step for every running sequence, update, retire), the sampler, beam search (one slot per
 * beam, forks copy slots), stopping criteria and the streaming detokenizer.
 *
 * <p>Imports only {@code core}: the engine is reached through {@code core.DecoderSession}, so the scheduler is
 * tested against a fake backend.
 */
package io.slmserve.generation;
