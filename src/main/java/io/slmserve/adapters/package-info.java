/**
 * LoRA adapters served beside their base decoder: reading and checking converted adapter folders
 * ({@code AdapterFolder}, {@code SafetensorsFile}) and each model's adapters, loaded at start and managed at run
 * time ({@code AdapterRegistry}). Imports core, config and registry only.
 */
package io.slmserve.adapters;
