/**
 * HTTP: OpenAI-compatible resources under /v1, native TEI/TGI-style resources, the model list, the
 * exception mappers (problem+json natively, the OpenAI error shape under /v1) and OpenAPI annotations.
 *
 * <p>Imports inference and core only; nothing imports this package.
 */
package io.slmserve.api;
