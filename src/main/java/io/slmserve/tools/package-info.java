/**
 * What a chat model's raw output means: tool calls in the format its template taught it (Hermes/Qwen
 * {@code <tool_call>}, Llama-3 JSON, Mistral {@code [TOOL_CALLS]}) and reasoning between {@code <think>} tags,
 * split from the visible content, incrementally for streams. Depends on nothing in the server but Jackson.
 */
package io.slmserve.tools;
