package dev.ember.it;

import static io.restassured.RestAssured.given;

/** Reads one series from the Prometheus scrape at /q/metrics. */
public final class Metrics {

    private Metrics() {
    }

    /** Sum of the samples of {@code name} whose labels include every given label=value pair; 0 when none. */
    public static double value(String name, String... labels) {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (match) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
