/**
 * Hugging Face chat templates rendered as transformers renders them: a dedicated Jinja engine (lexer with
 * trim_blocks and lstrip_blocks, parser, Python-valued evaluator, the filters, tests and string/dict methods that
 * real chat templates use) behind {@link io.slmserve.chat.ChatTemplate}. Unknown syntax, filters, tests and
 * methods fail with a clear error; nothing falls back silently.
 *
 * <p>Depends on nothing else in io.slmserve.
 */
package io.slmserve.chat;
