/**
 * The facade the API calls: resolves a model, validates and tokenizes inputs, admits work into the
 * model's bounded queue and shapes the result. Owns the per-model worker pools.
 *
 * <p>Imports core, config, registry and batching; never the engine or DJL.
 */
package io.slmserve.inference;
