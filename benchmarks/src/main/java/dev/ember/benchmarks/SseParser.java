package dev.ember.benchmarks;

import java.util.Optional;

/**
 * Server-sent events as the WHATWG HTML standard frames them, fed one line at a time (the line terminator already
 * removed): {@code data:} lines accumulate, joined by newlines, and a blank line dispatches the event; lines that
 * start with a colon are comments; {@code event:} names the event; other fields ({@code id}, {@code retry}) are
 * ignored. An event without data is not dispatched, as the standard says.
 */
final class SseParser {

    /** One dispatched event: its type ({@code message} when none was named) and its data. */
    record Event(String type, String data) {
    }

    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type = "message";

    /** Takes one line; returns the event that a blank line completes, if it had data. */
    Optional<Event> line(String line) {
        if (line.isEmpty()) {
            Optional<Event> event = hasData ? Optional.of(new Event(type, data.toString())) : Optional.empty();
            data.setLength(0);
            hasData = false;
            type = "message";
            return event;
        }
        if (line.startsWith(":")) {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            case "event" -> type = value.isEmpty() ? "message" : value;
            default -> {
                // id, retry and unknown fields do not matter to a benchmark
            }
        }
        return Optional.empty();
    }

    /** What a stream that ends without a final blank line still holds (the standard discards it; we report it). */
    boolean pending() {
        return hasData;
    }
}
