/**
 * The model repository: scans the models folder, parses each serving.properties, loads every model
 * independently through the engine's {@link io.slmserve.core.BackendFactory} and tracks its lifecycle
 * (LOADING, READY, FAILED with a reason).
 *
 * <p>Imports core and config. It reaches the engine only through the factory interface, and the serving
 * path only through {@link io.slmserve.registry.ModelActivation}.
 */
package io.slmserve.registry;
