/**
 * Reads a Hugging Face model folder's metadata: config.json, generation_config.json, tokenizer_config.json,
 * special_tokens_map.json, chat_template.jinja and the header of tokenizer.json (added tokens, post-processor).
 * One place for what the engine, the registry and the serving path learn from those files.
 *
 * <p>Imports only {@code core} (for {@code GenerationDefaults}); Jackson, no DJL. The engine imports it.
 */
package io.slmserve.hf;
