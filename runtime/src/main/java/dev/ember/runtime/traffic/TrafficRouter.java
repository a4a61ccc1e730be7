package dev.ember.runtime.traffic;

import dev.ember.runtime.api.ConflictException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.EmberMeter;
import dev.ember.runtime.repository.ModelCatalog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
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
    private final VersionHealth health;
    // one immutable split per function: a replacement is a single write, so no request sees half of a change
    private final Map<String, TrafficSplit> splits = new ConcurrentHashMap<>();
    // the highest version of each function when it was first seen: a version added later by a rescan takes the
    // default route only once it has loaded, so a broken new version never takes the traffic
    private final Map<String, Integer> trusted = new ConcurrentHashMap<>();

    TrafficRouter(ModelCatalog catalog, EmberConfig config, MeterRegistry registry, VersionHealth health) {
        this.catalog = catalog;
        this.registry = registry;
        this.health = health;
        for (String function : catalog.models()) {
            trusted.put(function, catalog.versions(function).lastKey());
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
        TrafficSplit split = current(function, versions);
        if (tag.isPresent()) {
            Optional<Integer> tagged = split == null ? Optional.empty() : split.tagged(tag.get());
            return new ModelId(function, tagged.orElseThrow(() ->
                    new NotFoundException("function '" + function + "' has no version tagged '" + tag.get() + "'")));
        }
        if (split == null) {
            return new ModelId(function, defaultVersion(function, versions));
        }
        return new ModelId(function, split.pick(ThreadLocalRandom.current().nextInt(100)));
    }

    /** The split in force: the configured or last replaced one, or the default version at 100%. */
    public TrafficSplit split(String function) {
        NavigableMap<Integer, ?> versions = known(function);
        TrafficSplit split = current(function, versions);
        return split != null ? split
                : new TrafficSplit(List.of(new TrafficSplit.Target(defaultVersion(function, versions), 100, null)));
    }

    /**
     * With no split, the highest version that can be trusted: not failed, and either known from the start or
     * loaded since; the highest version when none qualifies (it then answers why it cannot serve).
     */
    private int defaultVersion(String function, NavigableMap<Integer, ?> versions) {
        int trustedUpTo = trusted.computeIfAbsent(function, f -> versions.lastKey());
        for (int v : versions.descendingKeySet()) {
            ModelId id = new ModelId(function, v);
            if (health.failure(id).isEmpty() && (v <= trustedUpTo || health.loadedOnce(id))) {
                return v;
            }
        }
        return versions.lastKey();
    }

    /**
     * The function's split without the versions a rescan removed: their share goes to the largest remaining
     * target; with no target left the default route applies. Null when there is no split.
     */
    private TrafficSplit current(String function, NavigableMap<Integer, ?> versions) {
        TrafficSplit split = splits.get(function);
        if (split == null || split.targets().stream().allMatch(t -> versions.containsKey(t.version()))) {
            return split;
        }
        List<TrafficSplit.Target> kept = new ArrayList<>(split.targets().stream()
                .filter(t -> versions.containsKey(t.version())).toList());
        TrafficSplit pruned = null;
        if (!kept.isEmpty()) {
            int missing = 100 - kept.stream().mapToInt(TrafficSplit.Target::percent).sum();
            TrafficSplit.Target largest = kept.stream().max((a, b) -> a.percent() != b.percent()
                    ? Integer.compare(a.percent(), b.percent()) : Integer.compare(a.version(), b.version())).get();
            kept.set(kept.indexOf(largest), new TrafficSplit.Target(largest.version(), largest.percent() + missing,
                    largest.tag()));
            pruned = new TrafficSplit(kept);
        }
        boolean replaced = pruned == null ? splits.remove(function, split) : splits.replace(function, split, pruned);
        if (replaced) {
            LOG.warnf("function '%s': versions %s left the repository, so they left its traffic split", function,
                    split.targets().stream().map(TrafficSplit.Target::version).filter(v -> !versions.containsKey(v))
                            .toList());
        }
        return splits.get(function);
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
        for (TrafficSplit.Target t : split.targets()) {
            Optional<String> failure = t.percent() > 0 ? health.failure(new ModelId(function, t.version()))
                    : Optional.empty();
            if (failure.isPresent()) {
                throw new ConflictException("'traffic': version " + t.version() + " of function '" + function
                        + "' failed to load, so it cannot take traffic (load it again first): " + failure.get());
            }
        }
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
        EmberMeter.TRAFFIC_PERCENT.gauge(registry, Tags.of("function", function, "version", String.valueOf(version)),
                () -> catalog.contains(function) ? split(function).percent(version) : 0);
    }
}
