package dev.ember.runtime.traffic;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.repository.ModelCatalog;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the version that serves a request, with Knative's traffic semantics in-process: a pinned version wins,
 * then a tag, then the weighted split; with no shares configured, the highest version takes all unpinned traffic.
 */
@ApplicationScoped
public class TrafficRouter {

    private final ModelCatalog catalog;
    private final Map<String, TrafficSplit> splits = new ConcurrentHashMap<>();

    TrafficRouter(ModelCatalog catalog, EmberConfig config) {
        this.catalog = catalog;
        for (String function : catalog.models()) {
            configuredSplit(function, config.functions().get(function), catalog.versions(function).lastKey())
                    .ifPresent(s -> {
                s.validate(catalog.versions(function).keySet());
                splits.put(function, s);
            });
        }
    }

    /** The split configuration gives; empty when no version has a share or a tag. */
    private static Optional<TrafficSplit> configuredSplit(String function, EmberConfig.Function config,
            int highest) {
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
        targets.sort((a, b) -> Integer.compare(a.version(), b.version()));
        return Optional.of(new TrafficSplit(targets));
    }

    /** The version for a request: {@code pinned} if given, else {@code tag} if given, else by weight. */
    public ModelId choose(String function, OptionalInt pinned, Optional<String> tag) {
        NavigableMap<Integer, ?> versions = catalog.versions(function);
        if (versions.isEmpty()) {
            throw new NotFoundException("unknown function '" + function + "'");
        }
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

    /** The split in force: the configured one, or the highest version at 100%. */
    public TrafficSplit split(String function) {
        NavigableMap<Integer, ?> versions = catalog.versions(function);
        if (versions.isEmpty()) {
            throw new NotFoundException("unknown function '" + function + "'");
        }
        TrafficSplit split = splits.get(function);
        return split != null ? split
                : new TrafficSplit(List.of(new TrafficSplit.Target(versions.lastKey(), 100, null)));
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
}
