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
import dev.ember.runtime.repository.ModelFile;
import dev.ember.runtime.repository.ModelSource;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates one session per model version from typed configuration: execution provider (CUDA with a loud fallback to
 * CPU), thread counts and optimisation level. Sessions are created from the model's file, never from bytes in the
 * heap, so that ONNX external data resolves beside the model (and the repository has checked where it points).
 */
@ApplicationScoped
public class SessionFactory {

    private static final Logger LOG = Logger.getLogger(SessionFactory.class);
    private static final byte[] DYNAMIC_QUANTIZE = "DynamicQuantize".getBytes(StandardCharsets.US_ASCII);
    // the key of an external data entry as onnx.proto encodes it: field 1, length 8, "location"
    private static final byte[] EXTERNAL_LOCATION = "\n\blocation".getBytes(StandardCharsets.US_ASCII);

    private final EmberConfig config;
    private final ExecutionDevice device;
    private final MeterRegistry registry;
    private final AtomicBoolean fallbackLogged = new AtomicBoolean();
    private final OrtEnvironment env;
    private final long maxOutputElements;

    SessionFactory(EmberConfig config, MeterRegistry registry) {
        this.config = config;
        this.device = ExecutionDevice.parse(config.device());
        this.registry = registry;
        this.env = OnnxEnvironment.get(config.onnx().logLevel());
        this.maxOutputElements = config.limits().maxOutputElements();
        if (maxOutputElements <= 0) {
            throw new IllegalArgumentException("ember.limits.max-output-elements must be positive");
        }
    }

    /** Creates the session for {@code id} from its model file, located and verified by the repository. */
    public LoadedModel create(ModelId id, ModelFile file) throws ModelLoadException {
        // the repository scanned the file when it verified it (once per file identity)
        boolean quantized = file.facts().orElseThrow(() -> new IllegalArgumentException(
                "model " + id + ": a session is created from a verified model file")).dynamicallyQuantized();
        return create(id, new Model(file.path().toString(), null, file.sizeBytes()), quantized);
    }

    /**
     * Creates the session from bytes in memory, for tests and generated models: such a model has no directory, so
     * one that names external data is refused rather than resolved against the working directory.
     */
    public LoadedModel create(ModelId id, byte[] bytes) throws ModelLoadException {
        if (contains(bytes, EXTERNAL_LOCATION)) {
            throw new ModelLoadException("model " + id + " names ONNX external data: load it from its file");
        }
        return create(id, new Model(null, bytes, bytes.length), contains(bytes, DYNAMIC_QUANTIZE));
    }

    /** A model as ONNX Runtime takes it: a path, or (in-memory models only) bytes. */
    record Model(String path, byte[] bytes, long sizeBytes) {
        OrtSession open(OrtEnvironment env, SessionOptions options) throws OrtException {
            return path != null ? env.createSession(path, options) : env.createSession(bytes, options);
        }

        /** ONNX Runtime's message without the model's absolute path (it names the file it loaded from). */
        String scrub(String message) {
            if (message == null || path == null) {
                return message;
            }
            Path file = Path.of(path);
            return message.replace(path, String.valueOf(file.getFileName()));
        }
    }

    private LoadedModel create(ModelId id, Model model, boolean quantized) throws ModelLoadException {
        if (device.wantsCuda()) {
            String unusable = cudaUnusableReason();
            String reason = "no_cuda_provider";
            if (unusable == null) {
                try {
                    return open(env, id, model, true, quantized);
                } catch (OrtException | RuntimeException e) {
                    unusable = "creating a CUDA session failed: " + model.scrub(e.getMessage());
                    reason = "cuda_error";
                }
            }
            fallBackToCpu(id, unusable, reason);
        }
        try {
            return open(env, id, model, false, quantized);
        } catch (OrtException e) {
            throw new ModelLoadException("model " + id + " is not a valid ONNX model for ONNX Runtime: "
                    + model.scrub(e.getMessage()), e);
        }
    }

    private LoadedModel open(OrtEnvironment env, ModelId id, Model model, boolean cuda, boolean quantized)
            throws OrtException {
        try (SessionOptions options = options(id, model, cuda)) {
            OrtSession session = model.open(env, options);
            try {
                ModelSignature signature = new ModelSignature(TensorConversion.specs(session.getInputInfo()),
                        TensorConversion.specs(session.getOutputInfo()));
                String tag = cuda ? "cuda:" + device.deviceId() : "cpu";
                return new LoadedModel(id, env, new LoadedModel.Session(session, tag), signature,
                        model.sizeBytes(), quantized, maxOutputElements, cuda ? cpuFallback(env, id, model) : null);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        }
    }

    /**
     * Opens {@code id} on the CPU after its CUDA session failed at run time, with a metric and one log line; it
     * opens the model's file again (an in-memory model keeps its bytes until it falls back or unloads).
     */
    LoadedModel.CpuFallback cpuFallback(OrtEnvironment env, ModelId id, Model model) {
        return why -> {
            OrtSession session;
            try (SessionOptions options = options(id, model, false)) {
                session = model.open(env, options);
            }
            EmberMeter.DEVICE_FALLBACKS.counter(registry, "function", id.model(), "version",
                    String.valueOf(id.version()), "reason", "cuda_run_error").increment();
            LOG.errorf("model %s: %s; it runs on CPU from now on", id, why);
            return session;
        };
    }

    /** A generator's directory gets the generator's budget (one run at a time), any other model its function's. */
    ThreadBudget threads(ModelId id, Model model) {
        if (model.path() != null && ModelSource.looksLikeGenerator(Path.of(model.path()).toAbsolutePath().getParent())) {
            ThreadBudget budget = ThreadBudget.ofGenerator(Runtime.getRuntime().availableProcessors(),
                    config.onnx().intraOpThreads());
            LOG.infof("threads of generator %s: %s", id, budget.describe());
            return budget;
        }
        return ThreadBudget.of(config, id.model());
    }

    private SessionOptions options(ModelId id, Model model, boolean cuda) throws OrtException {
        SessionOptions options = new SessionOptions();
        try {
            EmberConfig.Onnx onnx = config.onnx();
            options.setIntraOpNumThreads(threads(id, model).intraOpThreads());
            // idle pool threads that spin after a run hold cores the other runs, tokenising and HTTP need
            String spin = onnx.allowSpinning() ? "1" : "0";
            options.addConfigEntry("session.intra_op.allow_spinning", spin);
            options.addConfigEntry("session.inter_op.allow_spinning", spin);
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
