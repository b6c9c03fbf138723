package io.slmserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps every failure to a clear status and body. Client mistakes (malformed JSON, wrong types, unknown
 * routes) become 4xx with a message naming the fault; only an unexpected exception is a logged 500.
 */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response serving(ServingException e, HttpServerRequest request) {
        if (e.kind() == ErrorKind.ENGINE_FAILURE) {
            LOG.errorf(e, "%s %s failed", request.method(), request.path());
        }
        return ErrorResponses.build(request.path(), e.kind(), e.getMessage(), e.param(), e.retryAfterSeconds());
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e, HttpServerRequest request) {
        return ErrorResponses.build(request.path(), ErrorKind.INVALID_REQUEST, describe(e), fieldOf(e), null);
    }

    /** Overrides Quarkus' built-in mapper, which answers wrong JSON types with an empty 400. */
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e, HttpServerRequest request) {
        return json(e, request);
    }

    /**
     * Overrides Quarkus' mapper, which answers 500: Jackson raises this for a body value of a shape a field
     * cannot take at all (a string or object where an array of ids belongs), a client mistake.
     */
    @ServerExceptionMapper
    public Response invalidDefinition(InvalidDefinitionException e, HttpServerRequest request) {
        return json(e, request);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return json(json, request);
        }
        if (status >= 500) {
            LOG.errorf(e, "%s %s failed", request.method(), request.path());
        }
        String message = status == 404 ? "no endpoint " + request.method() + " " + request.path()
                : e.getMessage() == null ? Response.Status.fromStatusCode(status).getReasonPhrase() : e.getMessage();
        return ErrorResponses.build(request.path(), ErrorKind.forStatus(status), message, null, null);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, HttpServerRequest request) {
        LOG.errorf(e, "%s %s failed unexpectedly", request.method(), request.path());
        return ErrorResponses.build(request.path(), ErrorKind.ENGINE_FAILURE,
                "internal error: " + e.getClass().getSimpleName(), null, null);
    }

    private static String describe(JsonProcessingException e) {
        String field = fieldOf(e);
        String what = e.getOriginalMessage();
        int cut = what.indexOf('\n');
        what = cut > 0 ? what.substring(0, cut) : what;
        if (what.length() > 300) {
            what = what.substring(0, 300) + "...";
        }
        return field == null ? "malformed JSON: " + what : "invalid value for '" + field + "': " + what;
    }

    private static String fieldOf(JsonProcessingException e) {
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            return mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
        }
        return null;
    }
}
