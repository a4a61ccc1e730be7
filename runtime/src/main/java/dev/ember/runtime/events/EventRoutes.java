package dev.ember.runtime.events;

import dev.ember.runtime.config.EventsConfig;
import dev.ember.runtime.repository.ModelNames;
import dev.ember.runtime.traffic.VersionSelector;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.Map;

/** Event type -> function, version pin and reply, from {@code ember.events.routes}; checked at start. */
@Startup
@ApplicationScoped
public class EventRoutes {

    static final String DEFAULT_REPLY_SUFFIX = ".result";

    /** Where events of one type go; {@code configured} is false for the default route (function named like the type). */
    record Route(String type, String function, VersionSelector selector, String replyType, boolean reply,
            boolean configured) {
    }

    private final Map<String, Route> routes = new HashMap<>();

    EventRoutes(EventsConfig config) {
        config.routes().forEach((type, r) -> routes.put(type, parse(type, r)));
    }

    Route route(String type) {
        Route configured = routes.get(type);
        return configured != null ? configured
                : new Route(type, type, VersionSelector.ANY, type + DEFAULT_REPLY_SUFFIX, true, false);
    }

    static Route parse(String type, EventsConfig.Route config) {
        String key = "ember.events.routes.\"" + type + "\"";
        String target = config.function().orElse(type).strip();
        String function = target;
        VersionSelector selector = VersionSelector.ANY;
        int slash = target.lastIndexOf('/');
        if (slash >= 0) {
            function = target.substring(0, slash);
            int version = ModelNames.parseVersion(target.substring(slash + 1));
            if (version < 0) {
                throw new IllegalStateException(key + ".function=" + target
                        + ": the version after '/' must be a positive integer");
            }
            selector = VersionSelector.pinned(version);
        }
        if (!ModelNames.isValidName(function)) {
            throw new IllegalStateException(key + ".function=" + target + ": '" + function
                    + "' is not a function name (letters, digits, '_', '.', '-'; or name it with function/version)");
        }
        String replyType = config.replyType().map(String::strip).orElse(type + DEFAULT_REPLY_SUFFIX);
        if (replyType.isEmpty()) {
            throw new IllegalStateException(key + ".reply-type is empty: a CloudEvents type is a non-empty string");
        }
        return new Route(type, function, selector, replyType, config.reply(), true);
    }
}
