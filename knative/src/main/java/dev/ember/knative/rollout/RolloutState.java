package dev.ember.knative.rollout;

import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A rollout's state, kept in annotations on the Knative Service itself: whoever can read the Service can see
 * it ({@code kubectl get ksvc -o yaml}), a crashed driver can be resumed from it, and it changes atomically with
 * the traffic block it describes (same object, same write). Service annotations do not create revisions.
 *
 * @param step          1-based step the traffic currently reflects; 0 = candidate at 0%, not yet Ready
 * @param stepStartedAt when the current step's traffic was written; its hold starts once the Route serves it, or
 *                      here for a resumed rollout whose Route already did
 * @param driver        id of the process moving this rollout; another id means it was taken over
 */
public record RolloutState(RolloutPhase phase, String stable, String candidate, String previous, String image,
                           RolloutPlan plan, int step, Instant stepStartedAt, String driver, String message,
                           Instant updatedAt) {

    public static final String PREFIX = "rollout.ember.dev/";
    static final String PHASE = PREFIX + "phase";
    static final String STABLE = PREFIX + "stable";
    static final String CANDIDATE = PREFIX + "candidate";
    static final String PREVIOUS = PREFIX + "previous";
    static final String IMAGE = PREFIX + "image";
    static final String STEPS = PREFIX + "steps";
    static final String STEP = PREFIX + "step";
    static final String STEP_STARTED_AT = PREFIX + "step-started-at";
    static final String HOLD = PREFIX + "hold";
    static final String CHECK_INTERVAL = PREFIX + "check-interval";
    static final String THRESHOLDS = PREFIX + "thresholds";
    static final String DRIVER = PREFIX + "driver";
    static final String MESSAGE = PREFIX + "message";
    static final String UPDATED_AT = PREFIX + "updated-at";

    private static final List<String> ALL = List.of(PHASE, STABLE, CANDIDATE, PREVIOUS, IMAGE, STEPS, STEP,
            STEP_STARTED_AT, HOLD, CHECK_INTERVAL, THRESHOLDS, DRIVER, MESSAGE, UPDATED_AT);

    /** Annotation values are for people too; very long messages (Prometheus errors) are cut. */
    private static final int MAX_MESSAGE = 1024;

    public static Optional<RolloutState> read(Service service) {
        Map<String, String> a = service.getMetadata().getAnnotations();
        if (a == null || !a.containsKey(PHASE)) {
            return Optional.empty();
        }
        try {
            RolloutPlan plan = new RolloutPlan(
                    RolloutPlan.parseSteps(a.getOrDefault(STEPS, "5,25,50,100")),
                    DurationText.parse(a.getOrDefault(HOLD, "2m")),
                    DurationText.parse(a.getOrDefault(CHECK_INTERVAL, "30s")),
                    a.containsKey(THRESHOLDS) ? AnalysisThresholds.decode(a.get(THRESHOLDS)) : AnalysisThresholds.DEFAULTS);
            return Optional.of(new RolloutState(
                    RolloutPhase.valueOf(a.get(PHASE)),
                    emptyToNull(a.get(STABLE)),
                    emptyToNull(a.get(CANDIDATE)),
                    emptyToNull(a.get(PREVIOUS)),
                    emptyToNull(a.get(IMAGE)),
                    plan,
                    Integer.parseInt(a.getOrDefault(STEP, "0")),
                    Optional.ofNullable(emptyToNull(a.get(STEP_STARTED_AT))).map(Instant::parse).orElse(null),
                    emptyToNull(a.get(DRIVER)),
                    a.getOrDefault(MESSAGE, ""),
                    Optional.ofNullable(emptyToNull(a.get(UPDATED_AT))).map(Instant::parse).orElse(null)));
        } catch (RuntimeException e) {
            throw new RolloutException("unreadable rollout annotations on Service "
                    + service.getMetadata().getName() + ": " + e.getMessage()
                    + " (fix them with kubectl annotate, or remove every " + PREFIX + "* annotation to start over)", e);
        }
    }

    /** Replaces every rollout annotation on {@code service} with this state. */
    public void writeTo(Service service, Instant now) {
        ObjectMeta meta = service.getMetadata();
        Map<String, String> annotations = meta.getAnnotations() == null ? new HashMap<>()
                : new HashMap<>(meta.getAnnotations());
        ALL.forEach(annotations::remove);
        annotations.put(PHASE, phase.name());
        put(annotations, STABLE, stable);
        put(annotations, CANDIDATE, candidate);
        put(annotations, PREVIOUS, previous);
        put(annotations, IMAGE, image);
        annotations.put(STEPS, plan.encodeSteps());
        annotations.put(STEP, Integer.toString(step));
        put(annotations, STEP_STARTED_AT, stepStartedAt == null ? null : stepStartedAt.truncatedTo(ChronoUnit.MILLIS).toString());
        annotations.put(HOLD, DurationText.format(plan.hold()));
        annotations.put(CHECK_INTERVAL, DurationText.format(plan.checkInterval()));
        annotations.put(THRESHOLDS, plan.thresholds().encode());
        put(annotations, DRIVER, driver);
        put(annotations, MESSAGE, message == null ? null
                : message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message);
        annotations.put(UPDATED_AT, now.truncatedTo(ChronoUnit.MILLIS).toString());
        meta.setAnnotations(annotations);
    }

    public static RolloutState started(String stable, String candidate, String previous, String image,
                                       RolloutPlan plan, String driver, String message) {
        return new RolloutState(RolloutPhase.Progressing, stable, candidate, previous, image, plan, 0, null, driver,
                message, null);
    }

    public RolloutState atStep(int newStep, Instant startedAt, String newMessage) {
        return new RolloutState(phase, stable, candidate, previous, image, plan, newStep, startedAt, driver,
                newMessage, updatedAt);
    }

    public RolloutState drivenBy(String newDriver) {
        return new RolloutState(RolloutPhase.Progressing, stable, candidate, previous, image, plan, step,
                stepStartedAt, newDriver, message, updatedAt);
    }

    /** A finished or paused rollout: nobody drives it any more. */
    public RolloutState ended(RolloutPhase newPhase, String newStable, String newCandidate, String newPrevious,
                              String newMessage) {
        return new RolloutState(newPhase, newStable, newCandidate, newPrevious, image, plan, step, stepStartedAt, null,
                newMessage, updatedAt);
    }

    /** Percent the candidate should have at the current step. */
    public int candidatePercent() {
        return step == 0 ? 0 : plan.percent(step);
    }

    private static void put(Map<String, String> annotations, String key, String value) {
        if (value != null && !value.isEmpty()) {
            annotations.put(key, value);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
