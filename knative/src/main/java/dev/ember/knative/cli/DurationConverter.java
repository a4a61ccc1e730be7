package dev.ember.knative.cli;

import dev.ember.knative.rollout.DurationText;
import picocli.CommandLine;

import java.time.Duration;

/** {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h30m} or ISO-8601 {@code PT2M}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        try {
            return DurationText.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
