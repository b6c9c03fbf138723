/**
 * Health checks (live, ready, started) and the Micrometer implementation of
 * {@link io.slmserve.core.ServingMetrics}, scraped at /q/metrics in Prometheus format.
 *
 * <p>Imports core, config and registry.
 */
package io.slmserve.observability;
