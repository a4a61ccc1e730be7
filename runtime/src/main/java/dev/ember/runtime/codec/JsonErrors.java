package dev.ember.runtime.codec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.PayloadTooLargeException;

import java.io.IOException;

/**
 * Jackson's failures as errors that are safe to show: where and which rule, never the input's text (Jackson quotes
 * the offending token) or a Java type. One place, so the v2 codec, functions' bodies and the event envelope agree.
 */
public final class JsonErrors {

    private JsonErrors() {
    }

    /** A parser limit that was hit: which limit, and its value. */
    public static RuntimeException limit(StreamConstraintsException e, RequestLimits limits) {
        String m = String.valueOf(e.getOriginalMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("nesting")) {
            return new InvalidInputException("JSON nesting is deeper than the limit of " + limits.maxJsonDepth()
                    + " (ember.limits.max-json-depth)");
        }
        if (m.startsWith("number")) {
            return new InvalidInputException("a JSON number is longer than the limit of "
                    + RequestLimits.MAX_NUMBER_LENGTH + " characters (the parser's maxNumberLength): no datatype"
                    + " needs that many digits");
        }
        if (m.startsWith("name")) {
            return new PayloadTooLargeException("a JSON field name is longer than the limit of "
                    + RequestLimits.MAX_NAME_LENGTH + " characters (the parser's maxNameLength)");
        }
        if (m.startsWith("string")) {
            return new PayloadTooLargeException("a JSON string is longer than the limit of "
                    + limits.maxStringLength() + " characters (ember.limits.max-string-length)");
        }
        return new PayloadTooLargeException("the JSON document exceeds a parser limit");
    }

    /** A syntax error: its position and kind only, since Jackson's message quotes the input. */
    public static InvalidInputException malformed(JsonProcessingException e) {
        String what = e instanceof JsonEOFException ? "the document ends before it is complete"
                : "not valid JSON syntax";
        return new InvalidInputException("malformed JSON" + at(e.getLocation()) + ": " + what);
    }

    /** More than one JSON value in the body, or anything but white space after it. */
    /** Throws unless {@code p} is at the end of its input: a second document or stray text after {@code what}. */
    public static void requireEnd(JsonParser p, String what) throws IOException {
        JsonToken next;
        try {
            next = p.nextToken();
        } catch (StreamConstraintsException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw trailing(what);
        }
        if (next != null) {
            throw trailing(what);
        }
    }

    public static InvalidInputException trailing(String what) {
        return new InvalidInputException("malformed JSON: content after the " + what
                + ": the body must be exactly one JSON document");
    }

    static String at(JsonLocation where) {
        if (where == null || where.getLineNr() < 0) {
            return "";
        }
        return " at line " + where.getLineNr() + ", column " + where.getColumnNr();
    }
}
