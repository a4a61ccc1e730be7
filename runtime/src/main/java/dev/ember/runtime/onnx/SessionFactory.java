package dev.ember.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.EmberMeter;
import dev.ember.runtime.api.ModelLoadException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates one session per model version from typed configuration: execution provider (CUDA with a loud fallback to
 * CPU), thread counts and optimisation level.
 */
@ApplicationScoped
public class SessionFactory {

    private static final Logger LOG = Logger.getLogger(SessionFactory.class);
    private static final byte[] DYNAMIC_QUANTIZE = "DynamicQuantize".getBytes(StandardCharsets.US_ASCII);

    private final EmberConfig config;
    private final ExecutionDevice device;
    private final MeterRegistry registry;
    private final AtomicBoolean fallbackLogged = new AtomicBoolean();

    SessionFactory(EmberConfig config, MeterRegistry registry) {
        this.config = config;
        this.device = ExecutionDevice.parse(config.device());
        this.registry = registry;
        // ONNX Runtime's Linux build sends usage telemetry unless told not to; a model server must not phone home
        try {
            OrtEnvironment.getEnvironment().setTelemetry(false);
        } catch (OrtException e) {
            LOG.warnf("could not disable ONNX Runtime telemetry: %s", e.getMessage());
        }
    }

    /** Creates the session for {@code id} from the model's bytes (already verified by the repository). */
    public LoadedModel create(ModelId id, byte[] model) throws ModelLoadException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        boolean quantized = contains(model, DYNAMIC_QUANTIZE);
        if (device.wantsCuda()) {
            String unusable = cudaUnusableReason();
            String reason = "no_cuda_provider";
            if (unusable == null) {
                try {
                    return open(env, id, model, true, quantized);
                } catch (OrtException | RuntimeException e) {
                    unusable = "creating a CUDA session failed: " + e.getMessage();
                    reason = "cuda_error";
                }
            }
            fallBackToCpu(id, unusable, reason);
        }
        try {
            return open(env, id, model, false, quantized);
        } catch (OrtException e) {
            throw new ModelLoadException("model " + id + " is not a valid ONNX model for ONNX Runtime: "
                    + e.getMessage(), e);
        }
    }

    private LoadedModel open(OrtEnvironment env, ModelId id, byte[] model, boolean cuda, boolean quantized)
            throws OrtException {
        try (SessionOptions options = options(id, cuda)) {
            OrtSession session = env.createSession(model, options);
            try {
                ModelSignature signature = new ModelSignature(TensorConversion.specs(session.getInputInfo()),
                        TensorConversion.specs(session.getOutputInfo()));
                String tag = cuda ? "cuda:" + device.deviceId() : "cpu";
                return new LoadedModel(id, env, new LoadedModel.Session(session, tag), signature, model.length,
                        quantized, cuda ? cpuFallback(env, id, model) : null);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        }
    }

    /**
     * Opens {@code id} on the CPU after its CUDA session failed at run time, with a metric and one log line; it
     * holds the model's bytes, so a CUDA model keeps them on the host until it falls back or unloads.
     */
    LoadedModel.CpuFallback cpuFallback(OrtEnvironment env, ModelId id, byte[] model) {
        return why -> {
            OrtSession session;
            try (SessionOptions options = options(id, false)) {
                session = env.createSession(model, options);
            }
            EmberMeter.DEVICE_FALLBACKS.counter(registry, "function", id.model(), "version",
                    String.valueOf(id.version()), "reason", "cuda_run_error").increment();
            LOG.errorf("model %s: %s; it runs on CPU from now on", id, why);
            return session;
        };
    }

    private SessionOptions options(ModelId id, boolean cuda) throws OrtException {
        SessionOptions options = new SessionOptions();
        try {
            EmberConfig.Onnx onnx = config.onnx();
            options.setIntraOpNumThreads(onnx.intraOpThreads().orElse(Runtime.getRuntime().availableProcessors()));
            options.setInterOpNumThreads(onnx.interOpThreads());
            options.setExecutionMode(onnx.interOpThreads() > 1
                    ? SessionOptions.ExecutionMode.PARALLEL : SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(optLevel(onnx.optimizationLevel()));
            if (cuda) {
                options.addCUDA(device.deviceId());
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            if (e instanceof OrtException oe) {
                throw oe;
            }
            throw new IllegalStateException("session options for " + id + ": " + e.getMessage(), e);
        }
    }

    static OptLevel optLevel(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "none", "disable", "disabled" -> OptLevel.NO_OPT;
            case "basic" -> OptLevel.BASIC_OPT;
            case "extended" -> OptLevel.EXTENDED_OPT;
            case "all" -> OptLevel.ALL_OPT;
            default -> throw new IllegalArgumentException(
                    "ember.onnx.optimization-level must be none, basic, extended or all, not '" + level + "'");
        };
    }

    /** Null when a CUDA session can be attempted, else why not. */
    private static String cudaUnusableReason() {
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            return "this build's ONNX Runtime has no CUDA execution provider (build with -Pgpu for onnxruntime_gpu)";
        }
        return null;
    }

    private void fallBackToCpu(ModelId id, String why, String reason) {
        EmberMeter.DEVICE_FALLBACKS.counter(registry, "function", id.model(), "version",
                String.valueOf(id.version()), "reason", reason).increment();
        // one line per process for auto; an explicit cuda request is an operator error worth a line per model
        if (device.kind() == ExecutionDevice.Kind.CUDA) {
            LOG.errorf("ember.device=%s but %s: model %s runs on CPU", config.device(), why, id);
        } else if (fallbackLogged.compareAndSet(false, true)) {
            LOG.warnf("ember.device=auto: %s; models run on CPU", why);
        }
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
