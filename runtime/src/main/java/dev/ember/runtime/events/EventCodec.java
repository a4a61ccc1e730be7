package dev.ember.runtime.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.codec.JsonErrors;
import dev.ember.runtime.codec.RequestLimits;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventRWException;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CloudEvents over HTTP with the SDK: reads one event in binary or structured (JSON) mode, refuses the batched mode,
 * and writes a reply in the mode of the request.
 */
final class EventCodec {

    static final String BATCH_MEDIA_PREFIX = "application/cloudevents-batch";
    static final String STRUCTURED_MEDIA_PREFIX = "application/cloudevents";
    private static final String CE_PREFIX = "ce-";
    private static final List<String> REQUIRED = List.of("id", "source", "type");

    private final EventFormat json = new JsonFormat();
    private final RequestLimits limits;

    EventCodec(RequestLimits limits) {
        this.limits = limits;
    }

    enum ContentMode { BINARY, STRUCTURED }

    record IncomingEvent(CloudEvent event, ContentMode mode) {
    }

    /**
     * Reads the event of one request.
     *
     * @throws RejectedEventException 415 for the batched mode or a structured format other than JSON, 400 for
     *         anything that is not a valid CloudEvents 1.0 event
     */
    IncomingEvent decode(String contentType, Iterable<Map.Entry<String, String>> headers, byte[] body) {
        String media = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (media.startsWith(BATCH_MEDIA_PREFIX)) {
            throw new RejectedEventException(RejectReason.UNSUPPORTED_MODE, "the batched content mode (" + media
                    + ") is not supported: send one event per request, in binary mode (ce-* headers) or in"
                    + " structured mode (application/cloudevents+json)");
        }
        if (media.startsWith(STRUCTURED_MEDIA_PREFIX)) {
            if (!media.equals(JsonFormat.CONTENT_TYPE)) {
                throw new RejectedEventException(RejectReason.UNSUPPORTED_MODE, "the event format " + media
                        + " is not supported: structured mode accepts application/cloudevents+json");
            }
            return new IncomingEvent(valid(structured(body)), ContentMode.STRUCTURED);
        }
        return new IncomingEvent(valid(binary(headers, body)), ContentMode.BINARY);
    }

    private CloudEvent structured(byte[] body) {
        if (body == null || body.length == 0) {
            throw invalid("the request body is empty: in structured mode it is the event as a JSON object");
        }
        checkEnvelope(body);
        CloudEvent event;
        try {
            event = json.deserialize(body);
        } catch (RuntimeException e) {
            throw invalid("invalid CloudEvent: " + reason(e));
        }
        if (event == null) {
            // the JSON literal null parses to no event at all (found by EventCodecFuzzTest)
            throw invalid("the request body is JSON null: in structured mode it is the event as a JSON object");
        }
        return event;
    }

    /**
     * The SDK parses the envelope with Jackson's default limits (20 MB strings, 1000 levels); this pass holds it to
     * {@code ember.limits.*} first, streaming, and to exactly one JSON document.
     */
    private void checkEnvelope(byte[] body) {
        try (JsonParser p = limits.jsonFactory().createParser(body)) {
            if (p.nextToken() == null) {
                throw invalid("the request body is empty: in structured mode it is the event as a JSON object");
            }
            // token by token, reading each string: skipping one would not hold it to the string limit
            for (int depth = p.currentToken().isStructStart() ? 1 : 0; depth > 0; ) {
                JsonToken t = p.nextToken();
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                } else if ((t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME)
                        && p.getTextLength() > limits.maxStringLength()) {
                    // explicit: Jackson checks its limit only when its buffer grows, and a recycled buffer may not
                    throw new RejectedEventException(RejectReason.TOO_LARGE, "invalid CloudEvent: a JSON string is"
                            + " longer than the limit of " + limits.maxStringLength()
                            + " characters (ember.limits.max-string-length)");
                }
            }
            try {
                JsonErrors.requireEnd(p, "event");
            } catch (InvalidInputException e) {
                throw invalid("invalid CloudEvent: " + e.getMessage());
            }
        } catch (StreamConstraintsException e) {
            RuntimeException limit = JsonErrors.limit(e, limits);
            throw new RejectedEventException(limit instanceof PayloadTooLargeException ? RejectReason.TOO_LARGE
                    : RejectReason.INVALID_EVENT, "invalid CloudEvent: " + limit.getMessage());
        } catch (JsonProcessingException e) {
            throw invalid("invalid CloudEvent: " + JsonErrors.malformed(e).getMessage());
        } catch (IOException e) {
            throw invalid("invalid CloudEvent: unreadable request body");
        }
    }

    private static CloudEvent binary(Iterable<Map.Entry<String, String>> headers, byte[] body) {
        List<Map.Entry<String, String>> decoded = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, String> h : headers) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!name.startsWith(CE_PREFIX)) {
                decoded.add(h);
                continue;
            }
            if (!seen.add(name)) {
                throw invalid("header " + name + " appears more than once: an attribute has one value");
            }
            try {
                decoded.add(Map.entry(name, PercentEncoding.decode(h.getValue())));
            } catch (IllegalArgumentException e) {
                throw invalid("header " + name + ": " + e.getMessage());
            }
        }
        String specversion = decoded.stream().filter(h -> h.getKey().equals("ce-specversion"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        if (specversion == null) {
            throw invalid("not a CloudEvent: binary mode needs the headers ce-specversion, ce-id, ce-source and"
                    + " ce-type; structured mode needs Content-Type application/cloudevents+json");
        }
        if (!specversion.equals(SpecVersion.V1.toString())) {
            throw unsupportedVersion(specversion);
        }
        for (String attribute : REQUIRED) {
            if (!seen.contains(CE_PREFIX + attribute)) {
                throw invalid("required attribute '" + attribute + "' is missing (header ce-" + attribute + ")");
            }
        }
        try {
            return HttpMessageFactory.createReader(h -> decoded.forEach(e -> h.accept(e.getKey(), e.getValue())),
                    body).toEvent();
        } catch (RuntimeException e) {
            throw invalid("invalid CloudEvent: " + reason(e));
        }
    }

    private static CloudEvent valid(CloudEvent event) {
        if (event.getSpecVersion() != SpecVersion.V1) {
            throw unsupportedVersion(event.getSpecVersion().toString());
        }
        if (event.getId().isEmpty()) {
            throw invalid("attribute 'id' is empty: it must be a non-empty string");
        }
        if (event.getSource().toString().isEmpty()) {
            throw invalid("attribute 'source' is empty: it must be a non-empty URI-reference");
        }
        if (event.getType().isEmpty()) {
            throw invalid("attribute 'type' is empty: it must be a non-empty string");
        }
        return event;
    }

    /**
     * The event's data as the function's JSON request.
     *
     * @throws RejectedEventException 400 when there is no data or its declared content type is not JSON
     */
    static byte[] requestBody(CloudEvent event, String function) {
        CloudEventData data = event.getData();
        String type = event.getDataContentType();
        if (type != null && !isJson(type)) {
            throw new RejectedEventException(RejectReason.INVALID_DATA, "datacontenttype '" + type
                    + "' is not JSON: the event's data is the JSON request of function '" + function + "'");
        }
        byte[] bytes = data == null ? null : data.toBytes();
        if (bytes == null || isEmptyOrNull(bytes)) {
            throw new RejectedEventException(RejectReason.INVALID_DATA, "the event has no data: its data is the"
                    + " JSON request of function '" + function + "'");
        }
        return bytes;
    }

    /** Blank or JSON {@code null} (structured {@code "data": null}, or a binary body of null): no request either. */
    private static boolean isEmptyOrNull(byte[] bytes) {
        if (bytes.length > 64) {
            return false;
        }
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        return text.isEmpty() || text.equals("null");
    }

    /** A reply with status 200 in {@code mode}; {@code ce-*} header values are percent-encoded. */
    Response encode(CloudEvent reply, ContentMode mode) {
        Response.ResponseBuilder response = Response.ok();
        var writer = HttpMessageFactory.createWriter((name, value) -> response.header(name,
                name.regionMatches(true, 0, CE_PREFIX, 0, CE_PREFIX.length()) ? PercentEncoding.encode(value)
                        : value), response::entity);
        if (mode == ContentMode.STRUCTURED) {
            writer.writeStructured(reply, json);
        } else {
            writer.writeBinary(reply);
        }
        return response.build();
    }

    /** A JSON media type: subtype json or ending in +json, parameters aside (JSON event format 3.1.1). */
    static boolean isJson(String mediaType) {
        String m = mediaType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        int slash = m.indexOf('/');
        if (slash <= 0) {
            return false;
        }
        String subtype = m.substring(slash + 1);
        return subtype.equals("json") || subtype.endsWith("+json");
    }

    /** The SDK wraps the cause in layers; the innermost specific message is the one that names the attribute. */
    static String reason(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JsonProcessingException j && j.getOriginalMessage() != null) {
                message = j.getOriginalMessage();
            } else if ((t instanceof CloudEventRWException || t instanceof IllegalStateException
                    || t instanceof IllegalArgumentException) && t.getMessage() != null && message == null) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        // Jackson appends the source location on its own line; the first line is the reason
        return message.lines().findFirst().orElse(message).strip();
    }

    private static RejectedEventException unsupportedVersion(String specversion) {
        return invalid("specversion '" + specversion + "' is not supported: send CloudEvents 1.0");
    }

    private static RejectedEventException invalid(String message) {
        return new RejectedEventException(RejectReason.INVALID_EVENT, message);
    }
}
