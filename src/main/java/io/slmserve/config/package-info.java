/**
 * Typed server configuration ({@code slm.*} keys), read through SmallRye Config.
 *
 * <p>Imports nothing of ours. Per-model settings live in each folder's serving.properties instead.
 */
package io.slmserve.config;
