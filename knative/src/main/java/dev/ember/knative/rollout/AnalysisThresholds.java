package dev.ember.knative.rollout;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When a step's analysis fails the candidate. Stored with the rollout so that a resumed rollout judges by the
 * same rules it started with.
 *
 * @param maxErrorRate         absolute ceiling on the candidate's error rate (0.01 = 1%)
 * @param maxErrorRateIncrease how far the candidate's error rate may exceed the stable revision's
 * @param maxP99               absolute ceiling on the candidate's p99 latency; empty = none
 * @param maxP99Ratio          how many times the stable revision's p99 the candidate's may be ...
 * @param p99Tolerance         ... unless it is within this much of it (histogram buckets make small ratios noise)
 * @param minRequests          fewer candidate requests in the window than this and the step is not judged
 * @param maxInconclusive      consecutive unjudgeable analyses of one step before the rollout pauses
 */
public record AnalysisThresholds(double maxErrorRate, double maxErrorRateIncrease, Optional<Duration> maxP99,
                                 double maxP99Ratio, Duration p99Tolerance, long minRequests, int maxInconclusive) {

    public static final AnalysisThresholds DEFAULTS = new AnalysisThresholds(0.01, 0.005, Optional.empty(), 1.5,
            Duration.ofMillis(10), 50, 3);

    public AnalysisThresholds {
        if (maxErrorRate < 0 || maxErrorRate > 1) {
            throw new IllegalArgumentException("max error rate must be within [0, 1], was " + maxErrorRate);
        }
        if (maxErrorRateIncrease < 0 || maxErrorRateIncrease > 1) {
            throw new IllegalArgumentException("max error rate increase must be within [0, 1], was "
                    + maxErrorRateIncrease);
        }
        if (maxP99Ratio < 1) {
            throw new IllegalArgumentException("max p99 ratio must be at least 1, was " + maxP99Ratio);
        }
        if (p99Tolerance.isNegative()) {
            throw new IllegalArgumentException("p99 tolerance must not be negative");
        }
        if (minRequests < 1) {
            throw new IllegalArgumentException("min requests must be at least 1, was " + minRequests);
        }
        if (maxInconclusive < 0) {
            throw new IllegalArgumentException("max inconclusive must not be negative, was " + maxInconclusive);
        }
        maxP99.ifPresent(d -> {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("max p99 must be positive, was " + d);
            }
        });
    }

    /** {@code max-error-rate=0.01,max-error-rate-increase=0.005,...}: one annotation value, readable in kubectl. */
    public String encode() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("max-error-rate", number(maxErrorRate));
        fields.put("max-error-rate-increase", number(maxErrorRateIncrease));
        maxP99.ifPresent(d -> fields.put("max-p99", DurationText.format(d)));
        fields.put("max-p99-ratio", number(maxP99Ratio));
        fields.put("p99-tolerance", DurationText.format(p99Tolerance));
        fields.put("min-requests", Long.toString(minRequests));
        fields.put("max-inconclusive", Integer.toString(maxInconclusive));
        StringBuilder out = new StringBuilder();
        fields.forEach((k, v) -> out.append(out.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return out.toString();
    }

    public static AnalysisThresholds decode(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("malformed thresholds '" + text + "'");
            }
            fields.put(kv[0].strip(), kv[1].strip());
        }
        AnalysisThresholds d = DEFAULTS;
        return new AnalysisThresholds(
                Double.parseDouble(fields.getOrDefault("max-error-rate", number(d.maxErrorRate))),
                Double.parseDouble(fields.getOrDefault("max-error-rate-increase", number(d.maxErrorRateIncrease))),
                Optional.ofNullable(fields.get("max-p99")).map(DurationText::parse),
                Double.parseDouble(fields.getOrDefault("max-p99-ratio", number(d.maxP99Ratio))),
                DurationText.parse(fields.getOrDefault("p99-tolerance", DurationText.format(d.p99Tolerance))),
                Long.parseLong(fields.getOrDefault("min-requests", Long.toString(d.minRequests))),
                Integer.parseInt(fields.getOrDefault("max-inconclusive", Integer.toString(d.maxInconclusive))));
    }

    private static String number(double v) {
        String s = String.format(Locale.ROOT, "%.6f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
