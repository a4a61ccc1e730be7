package dev.ember.knative.rollout;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.pkg.apis.Condition;
import io.fabric8.knative.serving.v1.Revision;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.TrafficTarget;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The rollout recorded on a Knative Service, read and ended without metrics: its status, and promote or roll back
 * by hand. Ending it here stops whichever {@link RolloutDriver} drives it, at that driver's next check. Writes go
 * through {@link ServiceEditor} (optimistic locking).
 */
public final class ServiceRollout {

    private final KnativeClient client;
    private final String namespace;
    private final Pacer pacer;
    private final RolloutListener listener;
    private final ServiceEditor editor;

    public ServiceRollout(KnativeClient client, String namespace, Pacer pacer, RolloutListener listener) {
        this.client = client;
        this.namespace = namespace;
        this.pacer = pacer;
        this.listener = listener;
        this.editor = new ServiceEditor(client, namespace, 10, pacer);
    }

    /** Moves all traffic to the candidate now, skipping the remaining steps; ends any driver's rollout. */
    public RolloutState promote(String name) {
        RolloutState found = RolloutState.read(requireService(name))
                .orElseThrow(() -> new RolloutException("no rollout recorded on " + name + "; nothing to promote"));
        if (found.phase() == RolloutPhase.Promoted) {
            throw new RolloutException(found.stable() + " is already promoted on " + name);
        }
        if (found.candidate() == null || !isReady(found.candidate())) {
            throw new RolloutException("candidate " + found.candidate() + " is not Ready (or no longer exists);"
                    + " refusing to promote it");
        }
        return endByHand(name, RolloutPhase.Promoted,
                "promoted " + found.candidate() + " by hand at step " + found.step() + "/" + found.plan().stepCount());
    }

    /**
     * Sends all traffic back to the stable revision, keeping the candidate at 0% with its tag. After a promotion
     * it returns to the revision the promotion replaced ({@code previous}).
     */
    public RolloutState rollback(String name, String reason) {
        RolloutState found = RolloutState.read(requireService(name))
                .orElseThrow(() -> new RolloutException("no rollout recorded on " + name + "; nothing to roll back"));
        if (found.phase() == RolloutPhase.RolledBack) {
            throw new RolloutException(name + " is already rolled back to " + found.stable());
        }
        if (found.phase() == RolloutPhase.Promoted) {
            if (found.previous() == null) {
                throw new RolloutException("no previous revision recorded on " + name + " to return to");
            }
            Service updated = editor.edit(name, current -> {
                RolloutState st = requireState(current, name);
                if (st.phase() != RolloutPhase.Promoted || !Objects.equals(st.stable(), found.stable())) {
                    throw new RolloutTakenOverException(name + " changed meanwhile: " + st.message());
                }
                current.getSpec().setTraffic(new TrafficPlan(st.previous(), st.stable())
                        .rolledBack(true, current.getSpec().getTraffic()));
                st.ended(RolloutPhase.RolledBack, st.previous(), st.stable(), null,
                        "rolled back from " + st.stable() + " to previous " + st.previous() + ": " + reason)
                        .writeTo(current, now());
                return current;
            });
            RolloutState after = requireState(updated, name);
            listener.progress(name, after.message());
            return after;
        }
        return endByHand(name, RolloutPhase.RolledBack,
                "rolled back at step " + found.step() + "/" + found.plan().stepCount() + ": " + reason);
    }

    public RolloutStatus status(String name) {
        Service service = requireService(name);
        Optional<RolloutState> state = RolloutState.read(service);
        Optional<Boolean> candidateReady = state.map(RolloutState::candidate)
                .filter(c -> revision(c).isPresent()).map(this::isReady);
        return new RolloutStatus(name, namespace, state,
                orEmpty(service.getSpec().getTraffic()),
                service.getStatus() == null ? List.of() : orEmpty(service.getStatus().getTraffic()),
                candidateReady,
                service.getStatus() == null ? null : service.getStatus().getLatestReadyRevisionName());
    }

    ServiceEditor editor() {
        return editor;
    }

    /** promote/rollback by hand: ends the rollout whoever drives it (a running driver stops at its next check). */
    private RolloutState endByHand(String name, RolloutPhase phase, String message) {
        // a candidate that is not Ready cannot stay in the traffic block (the Route would not become Ready)
        String candidate = RolloutState.read(requireService(name)).map(RolloutState::candidate).orElse(null);
        boolean keepCandidate = candidate != null && isReady(candidate);
        Service updated = editor.edit(name, current -> {
            RolloutState st = requireState(current, name);
            if (!st.phase().active() && !(phase == RolloutPhase.Promoted && st.phase() == RolloutPhase.RolledBack)) {
                throw new RolloutException("the rollout of " + name + " is already " + st.phase());
            }
            boolean keep = phase == RolloutPhase.RolledBack && keepCandidate && st.candidate().equals(candidate);
            writeEnd(current, st, phase, keep, message, now());
            return current;
        });
        listener.progress(name, message);
        return requireState(updated, name);
    }

    /**
     * Ends the rollout {@code st} in {@code current}: promoted sends all traffic to the candidate, rolled back all
     * to stable (the candidate kept at 0% if {@code keepCandidate}); any other phase leaves traffic where it is.
     */
    static void writeEnd(Service current, RolloutState st, RolloutPhase phase, boolean keepCandidate, String message,
                         Instant now) {
        TrafficPlan traffic = new TrafficPlan(st.stable(), st.candidate());
        List<TrafficTarget> before = current.getSpec().getTraffic();
        RolloutState ended = switch (phase) {
            case Promoted -> {
                current.getSpec().setTraffic(traffic.promoted(before));
                yield st.ended(phase, st.candidate(), null, st.stable(), message);
            }
            case RolledBack -> {
                current.getSpec().setTraffic(traffic.rolledBack(keepCandidate, before));
                yield st.ended(phase, st.stable(), st.candidate(), st.previous(), message);
            }
            // paused: traffic stays where the step put it
            default -> st.ended(phase, st.stable(), st.candidate(), st.previous(), message);
        };
        ended.writeTo(current, now);
    }

    // ---------------------------------------------------------------- reading the cluster

    Service requireService(String name) {
        Service service = client.services().inNamespace(namespace).withName(name).get();
        if (service == null) {
            throw new RolloutException("Knative Service " + namespace + "/" + name + " not found");
        }
        return service;
    }

    Optional<Revision> revision(String name) {
        return Optional.ofNullable(client.revisions().inNamespace(namespace).withName(name).get());
    }

    boolean isReady(String revisionName) {
        return revision(revisionName)
                .flatMap(r -> readyCondition(r.getStatus() == null ? null : r.getStatus().getConditions()))
                .map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    static RolloutState requireState(Service service, String name) {
        return RolloutState.read(service).orElseThrow(
                () -> new RolloutTakenOverException("rollout annotations removed from " + name));
    }

    static Optional<Condition> readyCondition(List<Condition> conditions) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> "Ready".equals(c.getType())).findFirst();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private Instant now() {
        return pacer.clock().instant();
    }
}
