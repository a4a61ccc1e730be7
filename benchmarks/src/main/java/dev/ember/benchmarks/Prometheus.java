package dev.ember.benchmarks;

import java.util.Map;

/** Reads figures out of a Prometheus text exposition (/q/metrics). */
final class Prometheus {

    private Prometheus() {
    }

    /** The sum of every sample of {@code name} whose labels include all of {@code labels}; 0 when there is none. */
    static double sum(String exposition, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            String labelText;
            if (rest.startsWith("{")) {
                int close = rest.indexOf('}');
                labelText = rest.substring(1, close);
                rest = rest.substring(close + 1);
            } else if (rest.startsWith(" ")) {
                labelText = "";
            } else {
                continue; // a longer name with this prefix
            }
            if (labels.entrySet().stream().allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                sum += Double.parseDouble(rest.trim().split("\\s+")[0]);
            }
        }
        return sum;
    }
}
