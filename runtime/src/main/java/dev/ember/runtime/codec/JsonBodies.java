package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.config.EmberConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.util.stream.Collectors;

/** Reads functions' JSON requests under the request limits, with errors that name the field, and writes responses. */
@ApplicationScoped
public class JsonBodies {

    private final ObjectMapper mapper;
    private final EmberConfig.Limits limits;

    JsonBodies(ObjectMapper base, EmberConfig config) {
        this.limits = config.limits();
        this.mapper = base.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxJsonDepth()).maxStringLength(limits.maxStringLength()).build());
    }

    public <T> T read(byte[] body, Class<T> type) {
        if (body == null || body.length == 0) {
            throw new InvalidInputException("the request body is empty: send a JSON object");
        }
        T value;
        try {
            value = mapper.readValue(body, type);
        } catch (JsonMappingException e) {
            // a limit hit while binding a field (a JsonNode, a String) arrives wrapped in the mapping failure
            if (e.getCause() instanceof StreamConstraintsException limit) {
                throw limitExceeded(limit);
            }
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
            throw new InvalidInputException((path.isEmpty() ? "" : "field '" + path + "': ")
                    + e.getOriginalMessage());
        } catch (StreamConstraintsException e) {
            throw limitExceeded(e);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw new InvalidInputException("unreadable request body: " + e.getMessage());
        }
        if (value == null) {
            throw new InvalidInputException("the request body is JSON null: send a JSON object");
        }
        return value;
    }

    private RuntimeException limitExceeded(StreamConstraintsException e) {
        if (String.valueOf(e.getOriginalMessage()).toLowerCase().contains("nesting")) {
            return new InvalidInputException("JSON nesting is deeper than the limit of " + limits.maxJsonDepth()
                    + " (ember.limits.max-json-depth)");
        }
        return new PayloadTooLargeException("a JSON string is longer than the limit of " + limits.maxStringLength()
                + " characters (ember.limits.max-string-length)");
    }

    public byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response not serialisable: " + e.getMessage(), e);
        }
    }
}
