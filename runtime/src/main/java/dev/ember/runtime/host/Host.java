package dev.ember.runtime.host;

import dev.ember.runtime.config.EmberConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Reads the host's facts once at start, logs them in one line, and gives them to what sizes itself by them. */
@ApplicationScoped
public class Host {

    private static final Logger LOG = Logger.getLogger(Host.class);

    @Produces
    @Singleton
    @Startup
    HostFacts facts(EmberConfig config) {
        HostFacts facts = new HostFactsReader(config.host().root(), HostFactsReader.systemPath()).read();
        LOG.info(facts.summary());
        facts.memoryLimit().ifPresent(limit -> {
            if (facts.maxHeap() >= limit) {
                LOG.warnf("the max heap (%s) is not below the cgroup memory limit (%s): the kernel kills the process"
                        + " before the heap is full; lower -Xmx or -XX:MaxRAMPercentage", HostFacts.gib(facts.maxHeap()),
                        HostFacts.gib(limit));
            }
        });
        return facts;
    }
}
