/**
 * DJL and libtorch: TorchScript backends, Hugging Face tokenizers, per-worker predictors and the
 * native-memory scopes around each forward pass.
 *
 * <p>The only package that imports {@code ai.djl}. It implements the contracts of {@code core} and never
 * imports batching, generation or inference.
 */
package io.slmserve.engine;
