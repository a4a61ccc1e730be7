package dev.ember.runtime.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Map;
import java.util.Optional;

/**
 * CloudEvents ingress ({@code POST /}), under {@code ember.events.}. A type contains dots, so its key is quoted:
 * {@code ember.events.routes."dev.ember.embed.request".function=embed}.
 */
@ConfigMapping(prefix = "ember.events")
public interface EventsConfig {

    /** Routes by CloudEvents {@code type}; a type with no route goes to the function whose name equals the type. */
    Map<String, Route> routes();

    interface Route {
        /** The function that handles the type: {@code function}, or {@code function/version} to pin a version; default: the function named like the type. */
        Optional<String> function();

        /** The {@code type} of the reply event; default: the incoming type followed by {@code .result}. */
        Optional<String> replyType();

        /** false: answer 202 with an empty body once the function has run, instead of 200 with a reply event. */
        @WithDefault("true")
        boolean reply();
    }
}
