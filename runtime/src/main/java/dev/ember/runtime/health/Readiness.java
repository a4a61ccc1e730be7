package dev.ember.runtime.health;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.lifecycle.ShutdownDrain;
import dev.ember.runtime.lifecycle.StartupWarmSet;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.WarmPool;
import dev.ember.runtime.repository.ModelCatalog;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * Readiness: true once the process has started, every pinned ({@code min-warm}) model version is warm, and the
 * process is not draining. Pinned versions start loading at start-up and turn warm only after their warm-up
 * inferences, so readiness waits for the warm-up; so it does, once, for the start-up warm set ({@code warm-at-start});
 * other models load on demand.
 */
@ApplicationScoped
public class Readiness {

    private static final Logger LOG = Logger.getLogger(Readiness.class);

    private final ModelCatalog catalog;
    private final WarmPool pool;
    private final ShutdownDrain drain;
    private final StartupWarmSet warmSet;
    private volatile boolean started;

    Readiness(ModelCatalog catalog, WarmPool pool, ShutdownDrain drain, StartupWarmSet warmSet) {
        this.catalog = catalog;
        this.pool = pool;
        this.drain = drain;
        this.warmSet = warmSet;
    }

    void onStart(@Observes StartupEvent event) {
        for (ModelId id : pinned()) {
            pool.acquire(id).exceptionally(e -> {
                LOG.errorf("pinned model %s did not load: readiness stays false (%s)", id, e.getMessage());
                return null;
            });
        }
        started = true;
    }

    /** The versions of every function with {@code min-warm=true}. */
    public List<ModelId> pinned() {
        List<ModelId> pinned = new ArrayList<>();
        for (String model : catalog.models()) {
            catalog.versions(model).keySet().stream().map(v -> new ModelId(model, v)).filter(pool::pinned)
                    .forEach(pinned::add);
        }
        return pinned;
    }

    /** Why the process is not ready, or null when it is. */
    public String notReadyReason() {
        if (!started) {
            return "starting";
        }
        if (drain.draining()) {
            return "draining";
        }
        for (ModelId id : pinned()) {
            ModelState state = pool.state(id);
            if (state != ModelState.WARM) {
                return "pinned model " + id + " is " + state.name().toLowerCase()
                        + (state == ModelState.LOADING ? " (loading and warming up)" : "")
                        + pool.error(id).map(e -> ": " + e).orElse("");
            }
        }
        return warmSet.notReadyReason();
    }

    public boolean ready() {
        return notReadyReason() == null;
    }
}
