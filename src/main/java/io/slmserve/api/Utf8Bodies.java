package io.slmserve.api;

import io.slmserve.core.ServingException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * Refuses JSON bodies that are not valid UTF-8 with a 400. Jackson rejects most broken bytes but decodes
 * overlong forms (C0 AF as '/') and lone surrogates, which would reach the tokenizer as text the client never
 * sent. The body is already bounded by the payload limit, so it is read whole, checked strictly, and handed on.
 */
@Provider
public class Utf8Bodies implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (type != null && type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
            byte[] body = context.getInputStream().readAllBytes();
            CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            try {
                strict.decode(ByteBuffer.wrap(body));
            } catch (MalformedInputException e) {
                throw ServingException.invalid(null, "the request body is not valid UTF-8 (" + e.getInputLength()
                        + " bad byte(s))");
            } catch (CharacterCodingException e) {
                throw ServingException.invalid(null, "the request body is not valid UTF-8");
            }
            context.setInputStream(new ByteArrayInputStream(body));
        }
        return context.proceed();
    }
}
