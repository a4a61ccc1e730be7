package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.nio.file.Path;
import java.util.Map;

/** JSON logs on, into a file the test reads, with the HTTP layer's DEBUG lines (they carry the request id). */
public class JsonLogsProfile implements QuarkusTestProfile {

    // a fixed path: the profile is instantiated in another class loader than the test, so no temp name is shared
    static final Path LOG = Path.of("target", "json-logs", "ember.log").toAbsolutePath();

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ember.log.json", "true",
                "quarkus.log.file.enabled", "true",
                "quarkus.log.file.path", LOG.toString(),
                "quarkus.log.category.\"dev.ember.runtime.http\".level", "DEBUG");
    }
}
