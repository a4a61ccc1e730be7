package dev.ember.runtime.traffic;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.repository.ModelCatalog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Chooses the version that serves a request, with Knative's traffic semantics in-process: a pinned version wins,
 * then a tag, then the weighted split; with no shares configured, the highest version takes all unpinned traffic.
 * The split can be replaced at run time; {@code ember_traffic_percent} shows the one in force.
 */
@ApplicationScoped
public class TrafficRouter {

    private static final Logger LOG = Logger.getLogger(TrafficRouter.class);

    private final ModelCatalog catalog;
    private final MeterRegistry registry;
    // one immutable split per function: a replacement is a single write, so no request sees half of a change
    private final Map<String, TrafficSplit> splits = new ConcurrentHashMap<>();

    TrafficRouter(ModelCatalog catalog, EmberConfig config, MeterRegistry registry) {
        this.catalog = catalog;
        this.registry = registry;
        for (String function : catalog.models()) {
            NavigableMap<Integer, ?> versions = catalog.versions(function);
            configuredSplit(config.functions().get(function), versions.lastKey()).ifPresent(s -> {
                s.problem(function, versions.keySet()).ifPresent(problem -> {
                    throw new IllegalStateException("ember.functions." + function + ".versions: " + problem);
                });
                splits.put(function, s);
            });
            versions.keySet().forEach(v -> registerGauge(function, v));
        }
    }

    /** The split configuration gives; empty when no version has a share or a tag. */
    private static Optional<TrafficSplit> configuredSplit(EmberConfig.Function config, int highest) {
        List<TrafficSplit.Target> targets = new ArrayList<>();
        boolean anyShare = config.versions().values().stream().anyMatch(v -> v.percent().isPresent());
        for (Map.Entry<String, EmberConfig.Version> e : config.versions().entrySet()) {
            EmberConfig.Version v = e.getValue();
            int version = Integer.parseInt(e.getKey());
            if (v.percent().isPresent() || v.tag().isPresent()) {
                // with tags but no shares, the highest version still takes all unpinned traffic
                int percent = anyShare ? v.percent().orElse(0) : (version == highest ? 100 : 0);
                targets.add(new TrafficSplit.Target(version, percent, v.tag().orElse(null)));
            }
        }
        if (targets.isEmpty()) {
            return Optional.empty();
        }
        if (!anyShare && targets.stream().noneMatch(t -> t.version() == highest)) {
            targets.add(new TrafficSplit.Target(highest, 100, null));
        }
        return Optional.of(new TrafficSplit(targets));
    }

    /** The version for a request: {@code pinned} if given, else {@code tag} if given, else by weight. */
    public ModelId choose(String function, OptionalInt pinned, Optional<String> tag) {
        NavigableMap<Integer, ?> versions = known(function);
        if (pinned.isPresent()) {
            if (!versions.containsKey(pinned.getAsInt())) {
                throw new NotFoundException("function '" + function + "' has no version " + pinned.getAsInt());
            }
            return new ModelId(function, pinned.getAsInt());
        }
        TrafficSplit split = splits.get(function);
        if (tag.isPresent()) {
            Optional<Integer> tagged = split == null ? Optional.empty() : split.tagged(tag.get());
            return new ModelId(function, tagged.orElseThrow(() ->
                    new NotFoundException("function '" + function + "' has no version tagged '" + tag.get() + "'")));
        }
        if (split == null) {
            return new ModelId(function, versions.lastKey());
        }
        return new ModelId(function, split.pick(ThreadLocalRandom.current().nextInt(100)));
    }

    /** The split in force: the configured or last replaced one, or the highest version at 100%. */
    public TrafficSplit split(String function) {
        NavigableMap<Integer, ?> versions = known(function);
        TrafficSplit split = splits.get(function);
        return split != null ? split
                : new TrafficSplit(List.of(new TrafficSplit.Target(versions.lastKey(), 100, null)));
    }

    /**
     * Puts {@code split} in force for every request routed from now on, or changes nothing and says why (400).
     * Requests already routed finish on the version they were given.
     */
    public TrafficSplit replace(String function, TrafficSplit split) {
        NavigableMap<Integer, ?> versions = known(function);
        split.problem(function, versions.keySet()).ifPresent(problem -> {
            throw new InvalidInputException("'traffic': " + problem);
        });
        splits.put(function, split);
        split.targets().forEach(t -> registerGauge(function, t.version()));
        LOG.infof("traffic of function '%s' is now %s", function, split.targets().stream()
                .map(t -> "version " + t.version() + " " + t.percent() + "%" + (t.tag() == null ? "" : " [" + t.tag() + "]"))
                .collect(Collectors.joining(", ")));
        return split;
    }

    /** The version that takes the largest share (the highest on a tie): what an unversioned metadata request shows. */
    public ModelId primary(String function) {
        TrafficSplit split = split(function);
        TrafficSplit.Target best = split.targets().get(0);
        for (TrafficSplit.Target t : split.targets()) {
            if (t.percent() > best.percent() || (t.percent() == best.percent() && t.version() > best.version())) {
                best = t;
            }
        }
        return new ModelId(function, best.version());
    }

    private NavigableMap<Integer, ?> known(String function) {
        NavigableMap<Integer, ?> versions = catalog.versions(function);
        if (versions.isEmpty()) {
            throw new NotFoundException("unknown function '" + function + "'");
        }
        return versions;
    }

    // registering an existing gauge again is a no-op in Micrometer, so callers need not remember which exist
    private void registerGauge(String function, int version) {
        Gauge.builder("ember.traffic.percent", () -> catalog.contains(function) ? split(function).percent(version) : 0)
                .description("Share of unpinned traffic the version takes in the split in force")
                .tags("function", function, "version", String.valueOf(version))
                .register(registry);
    }
}
