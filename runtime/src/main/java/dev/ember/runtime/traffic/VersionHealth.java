package dev.ember.runtime.traffic;

import dev.ember.runtime.api.ModelId;

import java.util.Optional;

/** What routing needs to know of a version's life (the warm pool knows): whether it can be trusted with traffic. */
public interface VersionHealth {

    /** Why the version's last load failed; empty unless it is failed now. */
    Optional<String> failure(ModelId id);

    /** Whether the version has loaded (and warmed up, if pinned) at least once in this process. */
    boolean loadedOnce(ModelId id);
}
