package dev.ember.knative.rollout;

import dev.ember.knative.metrics.PrometheusException;
import dev.ember.knative.metrics.RevisionMetrics;
import dev.ember.knative.metrics.RevisionSample;
import dev.ember.knative.metrics.SampleWindow;
import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.pkg.apis.Condition;
import io.fabric8.knative.serving.v1.Revision;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.TrafficTarget;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Moves traffic of a Knative Service from its stable revision to a candidate in steps, judging each step on
 * Prometheus metrics, and promotes the candidate or rolls it back.
 *
 * <p>Every decision is written to the Service before it is acted on (traffic and {@link RolloutState} in the
 * same write), so a driver that dies can be resumed by another one from the Service alone. Writes go through
 * {@link ServiceEditor} (optimistic locking); each write and each wait re-reads the state and stops this driver
 * with {@link RolloutTakenOverException} if another client rolled back, promoted, or resumed the rollout (for
 * instance by hand, through {@link ServiceRollout}).
 */
public final class RolloutDriver {

    private final ServiceRollout serviceRollout;
    private final String namespace;
    private final RevisionMetrics metrics;
    private final Pacer pacer;
    private final RolloutTimeouts timeouts;
    private final RolloutListener listener;
    private final ServiceEditor editor;
    private final String driverId;

    public RolloutDriver(KnativeClient client, String namespace, RevisionMetrics metrics, Pacer pacer,
                         RolloutTimeouts timeouts, RolloutListener listener, String driverId) {
        this.serviceRollout = new ServiceRollout(client, namespace, pacer, listener);
        this.namespace = namespace;
        this.metrics = metrics;
        this.pacer = pacer;
        this.timeouts = timeouts;
        this.listener = listener;
        this.driverId = driverId;
        this.editor = serviceRollout.editor();
    }

    public ServiceEditor editor() {
        return editor;
    }

    /** Starts a rollout of {@code source} (or resumes the one in progress if it is of the same candidate). */
    public RolloutOutcome start(String name, CandidateSource source, RolloutPlan plan) {
        Service service = serviceRollout.requireService(name);
        Optional<RolloutState> existing = RolloutState.read(service);
        if (existing.isPresent() && existing.get().phase().active()) {
            RolloutState st = existing.get();
            if (sameCandidate(source, st)) {
                listener.progress(name, "a rollout of " + st.candidate() + " is already in progress; resuming it");
                return resume(name);
            }
            throw new RolloutException("a rollout of " + st.candidate() + " is " + st.phase() + " at step "
                    + st.step() + "/" + st.plan().stepCount() + " on " + name + "; resume it with `rollout " + name
                    + "` or end it with `rollback " + name + "` / `promote " + name + "` first");
        }
        String stable = servingRevision(service);
        String candidate;
        String image = null;
        if (source instanceof CandidateSource.Image img) {
            image = img.image();
            candidate = img.revisionName().orElseGet(() -> defaultRevisionName(name, img.image(), service));
            if (!candidate.startsWith(name + "-")) {
                throw new RolloutException("revision name " + candidate + " must start with '" + name
                        + "-' (Knative requires it of names chosen in the template)");
            }
            if (serviceRollout.revision(candidate).isPresent()) {
                throw new RolloutException("revision " + candidate + " already exists; roll it out with --revision "
                        + candidate + ", or choose another --candidate-name");
            }
            container(service, img.container()); // fail before writing if the container is ambiguous
        } else {
            candidate = ((CandidateSource.Existing) source).revisionName();
            Revision revision = serviceRollout.revision(candidate).orElseThrow(() -> new RolloutException(
                    "revision " + candidate + " not found in namespace " + namespace));
            String owner = labels(revision.getMetadata()).get("serving.knative.dev/service");
            if (!name.equals(owner)) {
                throw new RolloutException("revision " + candidate + " belongs to Service " + owner + ", not " + name);
            }
        }
        if (candidate.equals(stable)) {
            throw new RolloutException(candidate + " already serves 100% of " + name + "; nothing to roll out");
        }
        String previous = existing.map(RolloutState::previous).orElse(null);
        String startedImage = image;
        String message = "candidate " + candidate + " at 0% with tag " + TrafficPlan.CANDIDATE_TAG
                + (image != null ? " (image " + image + ")" : "") + ", stable " + stable;
        RolloutState state = RolloutState.started(stable, candidate, previous, image, plan, driverId, message);
        editor.edit(name, current -> {
            RolloutState.read(current).filter(s -> s.phase().active()).ifPresent(s -> {
                throw new RolloutTakenOverException("another client started a rollout of " + s.candidate()
                        + " on " + name + " meanwhile");
            });
            String servingNow = servingRevision(current);
            if (!servingNow.equals(stable)) {
                throw new RolloutTakenOverException("traffic of " + name + " moved to " + servingNow
                        + " meanwhile; start again");
            }
            if (startedImage != null) {
                ObjectMeta templateMeta = current.getSpec().getTemplate().getMetadata();
                if (templateMeta == null) {
                    templateMeta = new ObjectMeta();
                    current.getSpec().getTemplate().setMetadata(templateMeta);
                }
                // a name chosen in the template lets the traffic block pin the candidate before it exists
                templateMeta.setName(candidate);
                container(current, ((CandidateSource.Image) source).container()).setImage(startedImage);
            }
            current.getSpec().setTraffic(new TrafficPlan(stable, candidate).split(0, current.getSpec().getTraffic()));
            state.writeTo(current, now());
            return current;
        });
        listener.progress(name, message + "; steps " + plan.encodeSteps() + "%, each held "
                + DurationText.format(plan.hold()));
        return drive(name);
    }

    /** Takes over the rollout in progress (after a crash, or a pause) and drives it from its serviceRollout step. */
    public RolloutOutcome resume(String name) {
        RolloutState found = RolloutState.read(serviceRollout.requireService(name))
                .orElseThrow(() -> new RolloutException("no rollout recorded on " + name));
        if (!found.phase().active()) {
            throw new RolloutException("the rollout of " + name + " is " + found.phase() + " (" + found.message()
                    + "); nothing to resume");
        }
        editor.edit(name, current -> {
            RolloutState st = RolloutState.read(current).orElseThrow(
                    () -> new RolloutTakenOverException("rollout annotations removed from " + name));
            if (!st.phase().active() || !Objects.equals(st.candidate(), found.candidate())) {
                throw new RolloutTakenOverException("the rollout of " + name + " ended meanwhile: " + st.message());
            }
            st.drivenBy(driverId).writeTo(current, now());
            return current;
        });
        listener.progress(name, "resuming the rollout of " + found.candidate() + " at step " + found.step() + "/"
                + found.plan().stepCount() + " (" + found.candidatePercent() + "%)"
                + (found.driver() != null && !found.driver().equals(driverId) ? ", taking over from " + found.driver() : ""));
        return drive(name);
    }

    // ---------------------------------------------------------------- the driving loop

    private RolloutOutcome drive(String name) {
        while (true) {
            RolloutState st = requireDriving(serviceRollout.requireService(name), name);
            RolloutPlan plan = st.plan();
            if (st.step() == 0) {
                Optional<String> notReady = awaitCandidateReady(name, st.candidate());
                if (notReady.isPresent()) {
                    return end(name, RolloutPhase.RolledBack, RolloutOutcome.Result.ROLLED_BACK, false,
                            "candidate " + st.candidate() + " did not become Ready: " + notReady.get()
                                    + "; all traffic stays on " + st.stable());
                }
                listener.progress(name, "candidate " + st.candidate() + " is Ready");
                advance(name, st, 1, "candidate " + st.candidate() + " Ready");
                continue;
            }
            Instant served = awaitRoute(name, st);
            GateResult result = holdAndAnalyse(name, st, served);
            String where = "step " + st.step() + "/" + plan.stepCount() + " (" + st.candidatePercent() + "%)";
            switch (result.verdict()) {
                case FAIL -> {
                    return end(name, RolloutPhase.RolledBack, RolloutOutcome.Result.ROLLED_BACK, true,
                            where + " failed: " + result.summary());
                }
                case INCONCLUSIVE -> {
                    return end(name, RolloutPhase.Paused, RolloutOutcome.Result.PAUSED, true,
                            where + " paused, could not judge the candidate: " + result.summary()
                                    + "; resume with `rollout " + name + "`, or decide with `promote`/`rollback`");
                }
                case PASS -> {
                    listener.progress(name, where + " passed: " + result.summary());
                    if (st.step() == plan.stepCount()) {
                        return end(name, RolloutPhase.Promoted, RolloutOutcome.Result.PROMOTED, true,
                                "promoted " + st.candidate() + " after " + where + " passed: " + result.summary());
                    }
                    advance(name, st, st.step() + 1, where + " passed: " + result.summary());
                }
                default -> throw new IllegalStateException(result.verdict().name());
            }
        }
    }

    private void advance(String name, RolloutState from, int step, String message) {
        int percent = from.plan().percent(step);
        editor.edit(name, current -> {
            RolloutState st = requireDriving(current, name);
            if (st.step() != from.step()) {
                throw new RolloutTakenOverException("step of " + name + " moved to " + st.step() + " meanwhile");
            }
            current.getSpec().setTraffic(new TrafficPlan(st.stable(), st.candidate())
                    .split(percent, current.getSpec().getTraffic()));
            st.atStep(step, now(), message).writeTo(current, now());
            return current;
        });
        listener.progress(name, "step " + step + "/" + from.plan().stepCount() + ": " + percent + "% to "
                + from.candidate() + ", " + (100 - percent) + "% to " + from.stable() + ", holding "
                + DurationText.format(from.plan().hold()));
    }

    /**
     * Waits out the step's hold from {@code served} (when the Route began serving the split), checking every check
     * interval; a failure found early ends the hold. At the end an inconclusive analysis extends the hold, up to
     * {@code maxInconclusive} times.
     */
    private GateResult holdAndAnalyse(String name, RolloutState st, Instant served) {
        RolloutPlan plan = st.plan();
        Instant deadline = served.plus(plan.hold());
        int inconclusive = 0;
        while (true) {
            Instant now = now();
            if (now.isBefore(deadline)) {
                Duration wait = Duration.between(now, deadline);
                sleep(wait.compareTo(plan.checkInterval()) < 0 ? wait : plan.checkInterval());
                requireDriving(serviceRollout.requireService(name), name);
                now = now();
                if (now.isBefore(deadline)) {
                    GateResult early = analyse(name, st, served, now);
                    if (early.failed()) {
                        return early;
                    }
                    listener.progress(name, "step " + st.step() + "/" + plan.stepCount() + " (" + st.candidatePercent()
                            + "% to " + st.candidate() + ") held, " + timeLeft(Duration.between(now, deadline))
                            + " of " + DurationText.format(plan.hold()) + " left: " + early.gates());
                    continue;
                }
            }
            GateResult result = analyse(name, st, served, now);
            if (result.verdict() != GateResult.Verdict.INCONCLUSIVE) {
                return result;
            }
            inconclusive++;
            if (inconclusive > plan.thresholds().maxInconclusive()) {
                return result;
            }
            listener.progress(name, "step " + st.step() + "/" + plan.stepCount() + " inconclusive (" + inconclusive
                    + " of at most " + plan.thresholds().maxInconclusive() + "), holding another "
                    + DurationText.format(plan.hold()) + ": " + result.summary());
            deadline = now.plus(plan.hold());
        }
    }

    /** Candidate and stable since the split was served (stable before that, if it had no traffic since). */
    private GateResult analyse(String name, RolloutState st, Instant served, Instant now) {
        Duration sinceStart = Duration.between(served, now);
        Duration window = sinceStart.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : sinceStart;
        StepAnalysis analysis = new StepAnalysis(st.plan().thresholds());
        try {
            RevisionSample candidate = metrics.sample(name, st.candidate(), SampleWindow.last(window));
            RevisionSample stable = metrics.sample(name, st.stable(), SampleWindow.last(window));
            if (stable.requests() >= st.plan().thresholds().minRequests()) {
                return analysis.evaluate(candidate, Optional.of(stable), "stable");
            }
            // at 100% (or a quiet service) stable has no traffic now: compare with it just before this step
            RevisionSample before = metrics.sample(name, st.stable(), new SampleWindow(window, sinceStart));
            return analysis.evaluate(candidate, Optional.of(before), "stable before this step");
        } catch (PrometheusException e) {
            return new GateResult(GateResult.Verdict.INCONCLUSIVE, "metrics unavailable: " + e.getMessage());
        }
    }

    private RolloutOutcome end(String name, RolloutPhase phase, RolloutOutcome.Result result,
                               boolean keepCandidate, String message) {
        Service updated = editor.edit(name, current -> {
            ServiceRollout.writeEnd(current, requireDriving(current, name), phase, keepCandidate, message, now());
            return current;
        });
        listener.progress(name, message);
        return new RolloutOutcome(result, ServiceRollout.requireState(updated, name));
    }

    // ---------------------------------------------------------------- waiting for Knative

    /** Empty when Ready; otherwise why not (failed condition or timeout). */
    private Optional<String> awaitCandidateReady(String name, String candidate) {
        Instant deadline = now().plus(timeouts.ready());
        while (true) {
            Optional<Revision> revision = serviceRollout.revision(candidate);
            Optional<Condition> ready = revision.flatMap(r -> ServiceRollout.readyCondition(
                    r.getStatus() == null ? null : r.getStatus().getConditions()));
            if (ready.isPresent() && "True".equals(ready.get().getStatus())) {
                return Optional.empty();
            }
            if (ready.isPresent() && "False".equals(ready.get().getStatus())) {
                return Optional.of(ready.get().getReason() + ": " + ready.get().getMessage());
            }
            if (!now().isBefore(deadline)) {
                return Optional.of(revision.isEmpty() ? "revision not created within " + DurationText.format(timeouts.ready())
                        : "not Ready within " + DurationText.format(timeouts.ready()));
            }
            sleep(timeouts.pollInterval());
            requireDriving(serviceRollout.requireService(name), name);
        }
    }

    /**
     * Waits until the Route serves the split this step wrote (status.traffic), so that the hold measures that split.
     * Returns when it began serving: the serviceRollout step start if it already did at the first look (a resumed
     * rollout keeps the hold it had), else the moment it was seen applied.
     */
    private Instant awaitRoute(String name, RolloutState st) {
        Instant deadline = now().plus(timeouts.route());
        int candidatePercent = st.candidatePercent();
        boolean firstLook = true;
        while (true) {
            Service service = serviceRollout.requireService(name);
            requireDriving(service, name);
            List<TrafficTarget> applied = service.getStatus() == null ? null : service.getStatus().getTraffic();
            Long generation = service.getMetadata().getGeneration();
            boolean observed = service.getStatus() != null && (generation == null
                    || service.getStatus().getObservedGeneration() != null
                    && service.getStatus().getObservedGeneration() >= generation);
            if (observed && TrafficPlan.percentOf(applied, st.candidate()) == candidatePercent
                    && TrafficPlan.percentOf(applied, st.stable()) == 100 - candidatePercent) {
                // a step without a start time (annotations edited by hand) is held from now
                return firstLook && st.stepStartedAt() != null ? st.stepStartedAt() : now();
            }
            firstLook = false;
            if (!now().isBefore(deadline)) {
                throw new RolloutException("the Route of " + name + " did not apply " + candidatePercent + "% to "
                        + st.candidate() + " within " + DurationText.format(timeouts.route())
                        + " (kubectl describe ksvc " + name + "); the rollout stays at step " + st.step()
                        + ": resume it with `rollout " + name + "` or `rollback " + name + "`");
            }
            sleep(timeouts.pollInterval());
        }
    }

    // ---------------------------------------------------------------- reading the Service

    private RolloutState requireDriving(Service service, String name) {
        RolloutState st = ServiceRollout.requireState(service, name);
        if (st.phase() != RolloutPhase.Progressing) {
            throw new RolloutTakenOverException("the rollout of " + name + " is now " + st.phase()
                    + " (set by another client: " + st.message() + "); stopping");
        }
        if (!driverId.equals(st.driver())) {
            throw new RolloutTakenOverException("the rollout of " + name + " was taken over by " + st.driver()
                    + "; stopping");
        }
        return st;
    }

    /** The one revision that serves all of the Service's traffic now. */
    private static String servingRevision(Service service) {
        List<TrafficTarget> applied = service.getStatus() == null ? null : service.getStatus().getTraffic();
        String name = service.getMetadata().getName();
        if (applied == null || applied.isEmpty()) {
            throw new RolloutException("Knative Service " + name + " has no traffic in its status yet (not Ready?);"
                    + " a rollout needs a stable revision serving 100%");
        }
        List<TrafficTarget> serving = applied.stream()
                .filter(t -> t.getPercent() != null && t.getPercent() > 0).toList();
        if (serving.size() != 1 || serving.get(0).getPercent() != 100 || serving.get(0).getRevisionName() == null) {
            throw new RolloutException("traffic of " + name + " is split ("
                    + serving.stream().map(t -> t.getRevisionName() + " " + t.getPercent() + "%").toList()
                    + "); a rollout starts from one revision serving 100%");
        }
        return serving.get(0).getRevisionName();
    }

    private static Container container(Service service, Optional<String> name) {
        List<Container> containers = service.getSpec().getTemplate().getSpec().getContainers();
        if (name.isPresent()) {
            return containers.stream().filter(c -> name.get().equals(c.getName())).findFirst()
                    .orElseThrow(() -> new RolloutException("no container named " + name.get() + " in "
                            + service.getMetadata().getName()));
        }
        if (containers.size() != 1) {
            throw new RolloutException(service.getMetadata().getName() + " has " + containers.size()
                    + " containers; say which one gets the image with --container");
        }
        return containers.get(0);
    }

    static String defaultRevisionName(String service, String image, Service current) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long generation = current.getMetadata().getGeneration() == null ? 0 : current.getMetadata().getGeneration();
            byte[] digest = sha.digest((image + "@" + generation).getBytes(StandardCharsets.UTF_8));
            String name = service + "-" + HexFormat.of().formatHex(digest).substring(0, 7);
            if (name.length() > 63) {
                throw new RolloutException("default revision name " + name + " is longer than 63 characters;"
                        + " choose one with --candidate-name");
            }
            return name;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameCandidate(CandidateSource source, RolloutState st) {
        if (source instanceof CandidateSource.Existing existing) {
            return existing.revisionName().equals(st.candidate());
        }
        CandidateSource.Image image = (CandidateSource.Image) source;
        return image.revisionName().map(n -> n.equals(st.candidate())).orElse(image.image().equals(st.image()));
    }

    private static Map<String, String> labels(ObjectMeta meta) {
        return meta.getLabels() == null ? Map.of() : meta.getLabels();
    }

    /** A countdown: tenths of a second below 10s ({@code 1.7s}), whole seconds (rounded up) from there. */
    static String timeLeft(Duration d) {
        if (d.compareTo(Duration.ofSeconds(10)) < 0) {
            return String.format(java.util.Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        return DurationText.format(Duration.ofSeconds((d.toMillis() + 999) / 1000));
    }

    private Instant now() {
        return pacer.clock().instant();
    }

    private void sleep(Duration duration) {
        try {
            pacer.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RolloutException("interrupted; the rollout stays where it is and can be resumed", e);
        }
    }
}
