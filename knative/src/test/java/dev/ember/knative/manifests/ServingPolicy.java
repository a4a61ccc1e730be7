package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ember's rules for its Knative Services, beyond what the CRD schema can say (Knative leaves much of the pod
 * spec as preserve-unknown-fields): Pod Security Standards "restricted", probes on Quarkus' health endpoints,
 * the filesystem contract with the images, containerConcurrency from the hosted functions' settings, the
 * autoscaling annotations, and what a GPU Service needs. Each problem names the field.
 */
final class ServingPolicy {

    static final String LIVE = "/q/health/live";
    static final String READY = "/q/health/ready";
    static final int PORT = 8080;
    static final String TMP_SIZE = "256Mi";
    static final List<String> GPU_FLAGS = List.of("kubernetes.podspec-nodeselector", "kubernetes.podspec-tolerations",
            "kubernetes.podspec-runtimeclassname");

    private static final Pattern FUNCTION_SETTING = Pattern.compile("EMBER_FUNCTIONS_([A-Z0-9_]+?)_(CONCURRENCY|BATCH_MAX_SIZE)");
    private static final Pattern IMAGE = Pattern.compile("ember/ember-(jvm|gpu|native):[0-9][A-Za-z0-9._-]*");
    private static final Pattern KNATIVE_DURATION = Pattern.compile("\\d+(ms|s|m|h)");
    /** Restricted allows adding only this capability back. */
    private static final Set<String> ADDABLE = Set.of("NET_BIND_SERVICE");

    private ServingPolicy() {
    }

    static List<String> check(Manifest manifest) {
        List<String> p = new ArrayList<>();
        JsonNode template = manifest.doc().path("spec").path("template");
        JsonNode annotations = template.path("metadata").path("annotations");
        JsonNode pod = template.path("spec");
        JsonNode containers = pod.path("containers");
        if (!containers.isArray() || containers.isEmpty()) {
            p.add("spec.template.spec.containers: no containers");
            return p;
        }
        boolean gpu = false;
        for (int i = 0; i < containers.size(); i++) {
            JsonNode c = containers.get(i);
            String at = "spec.template.spec.containers[" + i + "]";
            checkRestricted(c, at, p);
            checkProbe(c.path("livenessProbe"), at + ".livenessProbe", LIVE, p);
            checkProbe(c.path("readinessProbe"), at + ".readinessProbe", READY, p);
            checkPorts(c, at, p);
            checkTmp(c, pod, at, p);
            String image = c.path("image").asText("");
            if (!IMAGE.matcher(image).matches()) {
                p.add(at + ".image: '" + image + "' is not an ember/ember-{jvm,gpu,native}:<version> reference"
                        + " (no registry host, no floating tag)");
            }
            if (!c.path("resources").path("limits").path("nvidia.com/gpu").isMissingNode()) {
                gpu = true;
                String count = c.path("resources").path("limits").path("nvidia.com/gpu").asText();
                if (!count.equals("1")) {
                    p.add(at + ".resources.limits.nvidia.com/gpu: must be 1 (one GPU per pod, shared by its functions), was " + count);
                }
            }
        }
        checkPodSecurity(pod, p);
        long concurrency = checkContainerConcurrency(pod, containers, p);
        checkAutoscaling(annotations, concurrency, gpu, p);
        checkScrape(annotations, p);
        if (gpu) {
            checkGpu(manifest, pod, containers, annotations, p);
        }
        return p;
    }

    static void checkRestricted(JsonNode c, String at, List<String> p) {
        JsonNode sc = c.path("securityContext");
        String s = at + ".securityContext";
        if (!sc.path("runAsNonRoot").asBoolean(false)) {
            p.add(s + ".runAsNonRoot: must be true");
        }
        if (sc.path("runAsUser").asLong(-1) != 185) {
            p.add(s + ".runAsUser: must be 185 (the image's user), was " + text(sc.path("runAsUser")));
        }
        if (!sc.path("allowPrivilegeEscalation").isBoolean() || sc.path("allowPrivilegeEscalation").asBoolean()) {
            p.add(s + ".allowPrivilegeEscalation: must be false, was " + text(sc.path("allowPrivilegeEscalation")));
        }
        if (sc.path("privileged").asBoolean(false)) {
            p.add(s + ".privileged: must not be true");
        }
        boolean dropsAll = false;
        for (JsonNode d : sc.path("capabilities").path("drop")) {
            dropsAll |= d.asText().equals("ALL");
        }
        if (!dropsAll) {
            p.add(s + ".capabilities.drop: must contain ALL");
        }
        for (JsonNode a : sc.path("capabilities").path("add")) {
            if (!ADDABLE.contains(a.asText())) {
                p.add(s + ".capabilities.add: " + a.asText() + " is not allowed by the restricted profile");
            }
        }
        String seccomp = sc.path("seccompProfile").path("type").asText("");
        if (!seccomp.equals("RuntimeDefault")) {
            p.add(s + ".seccompProfile.type: must be RuntimeDefault, was " + (seccomp.isEmpty() ? "unset" : seccomp));
        }
        if (!sc.path("readOnlyRootFilesystem").asBoolean(false)) {
            p.add(s + ".readOnlyRootFilesystem: must be true (the image writes only to /tmp)");
        }
    }

    /** A pod-level security context may not undo the containers' (Knative gates it behind a flag anyway). */
    private static void checkPodSecurity(JsonNode pod, List<String> p) {
        JsonNode sc = pod.path("securityContext");
        if (sc.path("runAsNonRoot").isBoolean() && !sc.path("runAsNonRoot").asBoolean()) {
            p.add("spec.template.spec.securityContext.runAsNonRoot: must not be false");
        }
        if (sc.path("runAsUser").asLong(-1) == 0) {
            p.add("spec.template.spec.securityContext.runAsUser: must not be 0");
        }
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(host).asBoolean(false)) {
                p.add("spec.template.spec." + host + ": must not be true");
            }
        }
        JsonNode volumes = pod.path("volumes");
        for (int i = 0; i < volumes.size(); i++) {
            if (volumes.get(i).has("hostPath")) {
                p.add("spec.template.spec.volumes[" + i + "].hostPath: not allowed by the restricted profile");
            }
        }
    }

    static void checkProbe(JsonNode probe, String at, String path, List<String> p) {
        if (probe.isMissingNode()) {
            p.add(at + ": missing (must be an httpGet on " + path + ")");
            return;
        }
        String actual = probe.path("httpGet").path("path").asText("");
        if (!actual.equals(path)) {
            p.add(at + ".httpGet.path: must be " + path + ", was " + (actual.isEmpty() ? "unset" : actual));
        }
        JsonNode port = probe.path("httpGet").path("port");
        // null is unset, as the API server decodes it (quarkus-kubernetes writes `port: null` for Knative)
        if (!port.isMissingNode() && !port.isNull() && port.asInt(-1) != PORT) {
            p.add(at + ".httpGet.port: must be " + PORT + " (or unset), was " + port.asText());
        }
    }

    private static void checkPorts(JsonNode c, String at, List<String> p) {
        JsonNode ports = c.path("ports");
        if (ports.size() != 1 || ports.get(0).path("containerPort").asInt() != PORT) {
            p.add(at + ".ports: must be exactly one containerPort " + PORT + " (Ember listens on $PORT = 8080)");
        }
    }

    /** The filesystem contract: /tmp is the one writable place, an emptyDir of 256Mi. */
    static void checkTmp(JsonNode c, JsonNode pod, String at, List<String> p) {
        String tmpVolume = null;
        JsonNode mounts = c.path("volumeMounts");
        for (int i = 0; i < mounts.size(); i++) {
            JsonNode m = mounts.get(i);
            if (m.path("mountPath").asText().equals("/tmp")) {
                tmpVolume = m.path("name").asText();
            } else if (!m.path("readOnly").asBoolean(false)) {
                p.add(at + ".volumeMounts[" + i + "] (" + m.path("mountPath").asText()
                        + "): must be readOnly; only /tmp is writable");
            }
        }
        if (tmpVolume == null) {
            p.add(at + ".volumeMounts: /tmp must be mounted (the only writable path with a read-only root)");
            return;
        }
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(tmpVolume)) {
                if (!v.has("emptyDir")) {
                    p.add("spec.template.spec.volumes[" + tmpVolume + "]: /tmp must be an emptyDir");
                } else if (!v.path("emptyDir").path("sizeLimit").asText().equals(TMP_SIZE)) {
                    p.add("spec.template.spec.volumes[" + tmpVolume + "].emptyDir.sizeLimit: must be " + TMP_SIZE
                            + ", was " + text(v.path("emptyDir").path("sizeLimit")));
                }
                return;
            }
        }
        p.add("spec.template.spec.volumes: no volume named " + tmpVolume + " for /tmp");
    }

    /**
     * containerConcurrency must equal the sum over hosted functions of concurrency x batch.max-size, read from the
     * EMBER_FUNCTIONS_&lt;F&gt;_CONCURRENCY / _BATCH_MAX_SIZE env vars the manifest sets next to it.
     */
    private static long checkContainerConcurrency(JsonNode pod, JsonNode containers, List<String> p) {
        JsonNode cc = pod.path("containerConcurrency");
        Map<String, long[]> functions = new TreeMap<>();
        for (JsonNode c : containers) {
            for (JsonNode env : c.path("env")) {
                Matcher m = FUNCTION_SETTING.matcher(env.path("name").asText());
                if (m.matches()) {
                    long[] pair = functions.computeIfAbsent(m.group(1), k -> new long[] {-1, -1});
                    pair[m.group(2).equals("CONCURRENCY") ? 0 : 1] = Long.parseLong(env.path("value").asText("-1"));
                }
            }
        }
        if (functions.isEmpty()) {
            p.add("spec.template.spec.containers[*].env: no EMBER_FUNCTIONS_<F>_CONCURRENCY / _BATCH_MAX_SIZE to"
                    + " size containerConcurrency from");
        }
        long expected = 0;
        for (Map.Entry<String, long[]> f : functions.entrySet()) {
            if (f.getValue()[0] < 1 || f.getValue()[1] < 1) {
                p.add("spec.template.spec.containers[*].env: function " + f.getKey().toLowerCase()
                        + " needs both EMBER_FUNCTIONS_" + f.getKey() + "_CONCURRENCY and _BATCH_MAX_SIZE >= 1");
            }
            expected += f.getValue()[0] * f.getValue()[1];
        }
        if (!cc.canConvertToLong() || !cc.isIntegralNumber()) {
            p.add("spec.template.spec.containerConcurrency: must be set (hard limit per pod), was " + text(cc));
            return -1;
        }
        if (cc.asLong() != expected) {
            p.add("spec.template.spec.containerConcurrency: must be " + expected
                    + " (sum of concurrency x batch.max-size of " + functions.keySet() + "), was " + cc.asLong());
        }
        return cc.asLong();
    }

    private static void checkAutoscaling(JsonNode a, long concurrency, boolean gpu, List<String> p) {
        String at = "spec.template.metadata.annotations.";
        long target = longAnnotation(a, "autoscaling.knative.dev/target", p);
        if (target > 0 && concurrency > 0 && target > concurrency) {
            p.add(at + "autoscaling.knative.dev/target: " + target + " is above containerConcurrency " + concurrency
                    + "; the autoscaler would never scale out before requests queue");
        }
        long minScale = longAnnotation(a, "autoscaling.knative.dev/min-scale", p);
        long maxScale = longAnnotation(a, "autoscaling.knative.dev/max-scale", p);
        if (minScale >= 0 && maxScale > 0 && minScale > maxScale) {
            p.add(at + "autoscaling.knative.dev/min-scale: " + minScale + " above max-scale " + maxScale);
        }
        long initial = longAnnotation(a, "autoscaling.knative.dev/initial-scale", p);
        if (initial == 0) {
            p.add(at + "autoscaling.knative.dev/initial-scale: 0 needs allow-zero-initial-scale and skips the"
                    + " readiness proof of a new revision; use >= 1");
        }
        if (minScale == 0) {
            duration(a, "autoscaling.knative.dev/scale-to-zero-pod-retention-period", p);
            long activation = longAnnotation(a, "autoscaling.knative.dev/activation-scale", p);
            if (activation == 0) {
                p.add(at + "autoscaling.knative.dev/activation-scale: must be >= 1");
            }
        }
        if (gpu) {
            if (minScale < 1) {
                p.add(at + "autoscaling.knative.dev/min-scale: a GPU pool keeps at least one warm pod (>= 1), was "
                        + minScale);
            }
            duration(a, "autoscaling.knative.dev/scale-down-delay", p);
            duration(a, "serving.knative.dev/progress-deadline", p);
        }
    }

    private static void checkScrape(JsonNode a, List<String> p) {
        String at = "spec.template.metadata.annotations.";
        expect(a, "prometheus.io/scrape", "true", at, p);
        expect(a, "prometheus.io/path", "/q/metrics", at, p);
        expect(a, "prometheus.io/port", Integer.toString(PORT), at, p);
    }

    private static void checkGpu(Manifest manifest, JsonNode pod, JsonNode containers, JsonNode a, List<String> p) {
        String at = "spec.template.spec.";
        if (!pod.path("runtimeClassName").asText().equals("nvidia")) {
            p.add(at + "runtimeClassName: a GPU Service runs with runtimeClassName nvidia, was "
                    + text(pod.path("runtimeClassName")));
        }
        if (pod.path("nodeSelector").isEmpty()) {
            p.add(at + "nodeSelector: a GPU Service must select GPU nodes");
        }
        boolean tolerates = false;
        for (JsonNode t : pod.path("tolerations")) {
            tolerates |= t.path("key").asText().equals("nvidia.com/gpu");
        }
        if (!tolerates) {
            p.add(at + "tolerations: a GPU Service must tolerate the nvidia.com/gpu taint");
        }
        boolean cuda = false;
        boolean minWarm = false;
        for (JsonNode c : containers) {
            for (JsonNode env : c.path("env")) {
                String name = env.path("name").asText();
                cuda |= name.equals("EMBER_DEVICE") && env.path("value").asText().startsWith("cuda");
                minWarm |= name.matches("EMBER_FUNCTIONS_[A-Z0-9_]+_MIN_WARM") && env.path("value").asText().equals("true");
            }
        }
        if (!cuda) {
            p.add(at + "containers[*].env: EMBER_DEVICE must be cuda (or cuda:N) on a GPU Service");
        }
        if (!minWarm) {
            p.add(at + "containers[*].env: a warm GPU pool pins at least one function (EMBER_FUNCTIONS_<F>_MIN_WARM=true)");
        }
        for (String flag : GPU_FLAGS) {
            if (!manifest.fileText().contains(flag)) {
                p.add(manifest.file().getFileName() + ": must name the config-features flag " + flag
                        + " it needs in a comment beside the manifest");
            }
        }
        if (!manifest.fileText().contains("config-autoscaler")) {
            p.add(manifest.file().getFileName() + ": must say which config-autoscaler settings it needs");
        }
    }

    private static long longAnnotation(JsonNode a, String key, List<String> p) {
        JsonNode v = a.path(key);
        if (v.isMissingNode()) {
            p.add("spec.template.metadata.annotations." + key + ": missing");
            return -1;
        }
        try {
            return Long.parseLong(v.asText());
        } catch (NumberFormatException e) {
            p.add("spec.template.metadata.annotations." + key + ": not an integer: " + v.asText());
            return -1;
        }
    }

    private static void duration(JsonNode a, String key, List<String> p) {
        JsonNode v = a.path(key);
        if (v.isMissingNode()) {
            p.add("spec.template.metadata.annotations." + key + ": missing");
        } else if (!KNATIVE_DURATION.matcher(v.asText()).matches()) {
            p.add("spec.template.metadata.annotations." + key + ": not a duration like 90s or 10m: " + v.asText());
        }
    }

    private static void expect(JsonNode a, String key, String value, String at, List<String> p) {
        if (!a.path(key).asText("").equals(value)) {
            p.add(at + key + ": must be " + value + ", was " + text(a.path(key)));
        }
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() ? "unset" : n.toString();
    }
}
