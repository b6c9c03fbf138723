/**
 * Real clients against the running service: the official openai npm client, LangChain4j's OpenAI models and the
 * Java client generated from openapi/slm-serve.yaml; and the offline linters for the spec and the Dockerfile.
 * The npm tools live in src/test/js (installed by .ci/install-deps.sh); a missing install fails, never skips.
 */
package io.slmserve.clients;
