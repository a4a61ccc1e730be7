package dev.ember.runtime.logging;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.formatters.JsonFormatter;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.jboss.logmanager.handlers.FileHandler;

import java.util.Optional;
import java.util.logging.Handler;

/**
 * JSON log lines on request ({@code ember.log.json=true}), for journald, Loki or Elastic: jboss-logmanager's own
 * {@link JsonFormatter} on the console and file handlers Quarkus configured, with the Knative service and revision
 * as fields and the MDC (the request id) as {@code mdc}. The quarkus-logging-json extension would do this by
 * configuration, but it is not available at this Quarkus version; the formatter itself is the same.
 */
@ApplicationScoped
public class JsonLogs {

    private static final Logger LOG = Logger.getLogger(JsonLogs.class);

    private final LogConfig config;

    JsonLogs(LogConfig config) {
        this.config = config;
    }

    // first among the start-up observers, so that Ember's own start-up lines are JSON already
    void onStart(@Observes @Priority(1) StartupEvent event) {
        if (!config.json()) {
            return;
        }
        try {
            install(LogContext.getLogContext().getLogger("").getHandlers());
        } catch (LinkageError e) {
            // the formatter needs jakarta.json beside jboss-logmanager (application.properties makes it parent-first);
            // without it the text format stays, and Ember still starts
            LOG.warnf("ember.log.json=true but JSON logs are unavailable, text format kept: %s", e);
        }
    }

    /** The formatter every JSON line is written with: ISO timestamps, plus service and revision. */
    static JsonFormatter formatter() {
        JsonFormatter json = new JsonFormatter();
        json.setMetaData("service=" + env("K_SERVICE") + ",revision=" + env("K_REVISION"));
        json.setDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        return json;
    }

    private static void install(Handler[] handlers) {
        for (Handler h : handlers) {
            if (h instanceof ConsoleHandler || h instanceof FileHandler) {
                h.setFormatter(formatter());
            }
            // Quarkus wraps its handlers (delayed start-up handler, async handlers): look inside
            if (h instanceof ExtHandler ext) {
                install(ext.getHandlers());
            }
        }
    }

    private static String env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(s -> !s.isBlank()).orElse("local");
    }
}
