package dev.ember.runtime.logging;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Log output, under {@code ember.log.}. */
@ConfigMapping(prefix = "ember.log")
public interface LogConfig {

    /** true: the console and file handlers write one JSON object per line (jboss-logmanager's JsonFormatter). */
    @WithDefault("false")
    boolean json();
}
