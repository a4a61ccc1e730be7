package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.config.EmberConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads functions' JSON requests under the request limits, with errors that name the field and the rule (never the
 * value sent or a Java type), and writes responses.
 */
@ApplicationScoped
public class JsonBodies {

    private final ObjectMapper mapper;
    private final RequestLimits limits;

    JsonBodies(ObjectMapper base, EmberConfig config) {
        this.limits = RequestLimits.of(config.limits());
        this.mapper = base.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.getFactory().setStreamReadConstraints(limits.streamReadConstraints());
    }

    public <T> T read(byte[] body, Class<T> type) {
        if (body == null || body.length == 0) {
            throw new InvalidInputException("the request body is empty: send a JSON object");
        }
        T value;
        try (JsonParser p = mapper.createParser(body)) {
            if (p.nextToken() == null) {
                throw new InvalidInputException("the request body is empty: send a JSON object");
            }
            value = mapper.readValue(p, type);
            JsonErrors.requireEnd(p, "JSON document");
        } catch (JsonMappingException e) {
            throw mapping(e, type);
        } catch (StreamConstraintsException e) {
            throw JsonErrors.limit(e, limits);
        } catch (InputCoercionException e) {
            // a number too large for the field's type, raised by the parser before the field is known
            throw new InvalidInputException("a number is out of range for its field: " + kind(e.getTargetType()));
        } catch (JsonProcessingException e) {
            throw JsonErrors.malformed(e);
        } catch (IOException e) {
            throw new InvalidInputException("unreadable request body");
        }
        if (value == null) {
            throw new InvalidInputException("the request body is JSON null: send a JSON object");
        }
        return value;
    }


    private RuntimeException mapping(JsonMappingException e, Class<?> root) {
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof StreamConstraintsException limit) {
                // a limit hit while binding a field (a JsonNode, a String) arrives wrapped in the mapping failure
                return JsonErrors.limit(limit, limits);
            }
            if (t instanceof EmberException ours) {
                // the request type's own validation (a constructor that refuses): its message is already ours
                return ours;
            }
        }
        String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                : "[" + r.getIndex() + "]").collect(Collectors.joining(".")).replace(".[", "[");
        Class<?> target = e instanceof MismatchedInputException m && m.getTargetType() != null ? m.getTargetType()
                : path.isEmpty() ? root : null;
        if (e.getCause() instanceof InputCoercionException c && c.getTargetType() != null) {
            target = c.getTargetType();
        }
        String rule = target == null ? "is not valid for this request" : "must be " + kind(target);
        return new InvalidInputException(path.isEmpty() ? "the request body " + rule : "field '" + path + "' " + rule);
    }

    /** What a Java type takes, said in JSON terms. */
    static String kind(Class<?> t) {
        if (t == null) {
            return "a value of the right type";
        }
        if (t == String.class || t == char.class || t == Character.class || CharSequence.class.isAssignableFrom(t)) {
            return "a string";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t == int.class || t == Integer.class) {
            return "an integer in [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]";
        }
        if (t == long.class || t == Long.class) {
            return "an integer in [" + Long.MIN_VALUE + ", " + Long.MAX_VALUE + "]";
        }
        if (t == short.class || t == Short.class) {
            return "an integer in [" + Short.MIN_VALUE + ", " + Short.MAX_VALUE + "]";
        }
        if (t == byte.class || t == Byte.class) {
            return "an integer in [" + Byte.MIN_VALUE + ", " + Byte.MAX_VALUE + "]";
        }
        if (t == BigInteger.class) {
            return "an integer";
        }
        if (t == float.class || t == Float.class || t == double.class || t == Double.class || t == BigDecimal.class
                || Number.class.isAssignableFrom(t)) {
            return "a number";
        }
        if (t.isEnum()) {
            return "one of " + java.util.Arrays.stream(t.getEnumConstants()).map(c -> "\"" + c + "\"").toList();
        }
        if (t.isArray() || Collection.class.isAssignableFrom(t)) {
            return "an array";
        }
        if (JsonNode.class.isAssignableFrom(t)) {
            return "a JSON value";
        }
        return "a JSON object";
    }

    public byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response not serialisable: " + e.getMessage(), e);
        }
    }
}
