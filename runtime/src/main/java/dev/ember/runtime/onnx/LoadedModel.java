package dev.ember.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * One session of one model version, shared by all threads. Runs proceed concurrently (ONNX Runtime sessions are
 * thread-safe for {@code run}); {@link #close()} marks it closing and the session is closed exactly once, by
 * whichever of close or the last in-flight run comes last. A CUDA session whose run fails with a CUDA error is
 * replaced, once, by a CPU session, and that run is repeated on it: the device failed, not the request. A run error
 * that the request's values caused (an index out of range, a shape the graph cannot take) is the client's
 * {@link InvalidInputException}, so it never counts against the version; outputs larger than the output limit are
 * refused before they are copied into the heap.
 */
public final class LoadedModel implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LoadedModel.class);
    private static final Pattern CUDA_ERROR = Pattern.compile("(?i)\\b(cuda|cublas|cudnn|cufft|curand)");
    private static final Pattern OPERATOR = Pattern.compile("while running ([A-Za-z][A-Za-z0-9_]{0,63}) node");

    /**
     * Run errors caused by the request's values, as ONNX Runtime words them, and what Ember tells the client; the
     * client never sees ONNX Runtime's text (it names source files and echoes values).
     */
    private static final List<Map.Entry<Pattern, String>> INPUT_ERRORS = List.of(
            Map.entry(Pattern.compile("(?i)out of (data )?(bounds|range)|must be within"), "an index is out of range"),
            Map.entry(Pattern.compile("(?i)cannot be reshaped"),
                    "a tensor cannot be reshaped to the shape the model computes from the input"),
            Map.entry(Pattern.compile("(?i)broadcast"), "the input shapes cannot be broadcast together"),
            Map.entry(Pattern.compile("(?i)dimension mismatch|incompatible dimensions|invalid dimensions"
                    + "|invalid input shape|shape mismatch|dimensions? (do|does) not match"),
                    "the input dimensions do not fit together"));

    private final ModelId id;
    private final OrtEnvironment env;
    private final ModelSignature signature;
    private final long sizeBytes;
    private final boolean dynamicallyQuantized;
    private final long maxOutputElements;
    private final AtomicBoolean closing = new AtomicBoolean();
    // guards the CPU fallback against close, so that a replaced or closed session is released exactly once
    private final Object lifecycle = new Object();
    private volatile Session session;
    // opens this model on the CPU after a CUDA failure at run time; null on the CPU and after the fallback
    private volatile CpuFallback fallback;

    /** Opens the CPU session of a model whose CUDA session failed at run time, counting and logging it. */
    @FunctionalInterface
    interface CpuFallback {
        OrtSession open(String why) throws OrtException;
    }

    /**
     * One native session and where it runs; closed when its model's hold (released on close or on replacement)
     * and its last run are released.
     */
    static class Session {
        final OrtSession ort;
        final String device;
        // 1 for the model's hold plus 1 per run in flight; the native session closes when it reaches 0
        private final AtomicInteger users = new AtomicInteger(1);

        Session(OrtSession ort, String device) {
            this.ort = ort;
            this.device = device;
        }

        /** Runs the graph; tests override it to make a run fail the way a device failure does. */
        OrtSession.Result run(Map<String, OnnxTensor> feeds, Set<String> outputs) throws OrtException {
            return ort.run(feeds, outputs);
        }

        boolean cuda() {
            return device.startsWith("cuda");
        }

        boolean tryAcquire() {
            int n;
            do {
                n = users.get();
                if (n == 0) {
                    return false;
                }
            } while (!users.compareAndSet(n, n + 1));
            return true;
        }

        void release(ModelId id) {
            if (users.decrementAndGet() == 0) {
                try {
                    ort.close();
                    LOG.debugf("session of %s on %s closed", id, device);
                } catch (OrtException e) {
                    LOG.warnf("closing the session of %s failed: %s", id, e.getMessage());
                }
            }
        }

        boolean closed() {
            return users.get() == 0;
        }
    }

    LoadedModel(ModelId id, OrtEnvironment env, Session session, ModelSignature signature, long sizeBytes,
            boolean dynamicallyQuantized, long maxOutputElements, CpuFallback fallback) {
        this.id = id;
        this.env = env;
        this.session = session;
        this.signature = signature;
        this.sizeBytes = sizeBytes;
        this.dynamicallyQuantized = dynamicallyQuantized;
        this.maxOutputElements = maxOutputElements;
        this.fallback = session.cuda() ? fallback : null;
    }

    public ModelId id() {
        return id;
    }

    public ModelSignature signature() {
        return signature;
    }

    /** Where the session really runs: {@code cpu} or {@code cuda:N}. */
    public String device() {
        return session.device;
    }

    /**
     * This model run as a decoder with its KV cache kept between runs; {@link IllegalStateException} when its
     * signature is not a decoder with past ({@link DecoderLayout#of}).
     */
    public Decoder decoder() {
        DecoderLayout layout = DecoderLayout.of(signature).orElseThrow(
                () -> new IllegalStateException("model " + id + " is not a decoder with past key values"));
        return new OnnxDecoder(this, layout);
    }

    /** Size of the model file, the unit of the pool's memory budget. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Whether the graph quantises activations at run time, so its results depend on the whole batch. */
    public boolean dynamicallyQuantized() {
        return dynamicallyQuantized;
    }

    /**
     * Runs the model; {@code outputs} empty = all outputs. Inputs must already match the signature. Throws
     * {@link InvalidInputException} when the request's values make the run fail, {@link PayloadTooLargeException}
     * when an output exceeds {@code ember.limits.max-output-elements}, {@link InferenceFailedException} otherwise.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        return withSession(s -> run(s, inputs, outputs));
    }

    /** One native run on whichever session serves now. */
    @FunctionalInterface
    interface SessionRun<T> {
        T apply(Session s) throws OrtException;
    }

    /**
     * Runs {@code work} on the current session, held for the run so that unloading never closes it underneath; a CUDA
     * error on a CUDA session replaces it by a CPU session and repeats {@code work} there once. Run errors are the
     * typed exceptions of {@link #run(Map, Set)}.
     */
    <T> T withSession(SessionRun<T> work) {
        Session s = acquire();
        OrtException cudaError;
        try {
            return work.apply(s);
        } catch (OrtException e) {
            // a CUDA error on a CUDA session is the device's, whatever else its text says
            if (!s.cuda() || !CUDA_ERROR.matcher(String.valueOf(e.getMessage())).find()) {
                throw failed(e);
            }
            cudaError = e;
        } finally {
            s.release(id);
        }
        fallBackToCpu(s, cudaError);
        Session cpu = acquire();
        try {
            return work.apply(cpu);
        } catch (OrtException e) {
            throw failed(e);
        } finally {
            cpu.release(id);
        }
    }

    OrtEnvironment env() {
        return env;
    }

    private Map<String, Tensor> run(Session s, Map<String, Tensor> inputs, Set<String> outputs) throws OrtException {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                feeds.put(e.getKey(), TensorConversion.toOnnx(env, e.getValue()));
            }
            Set<String> wanted = outputs.isEmpty() ? s.ort.getOutputNames() : outputs;
            try (OrtSession.Result result = s.run(feeds, wanted)) {
                checkOutputSizes(result);
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    out.put(e.getKey(), TensorConversion.fromOnnx((OnnxTensor) e.getValue()));
                }
                return out;
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * Refuses the result before any output is copied: an output's shape may be computed from input values (e.g.
     * ConstantOfShape), so nothing short of the run itself can know its size. The shape is native metadata; reading
     * it copies no data.
     */
    private void checkOutputSizes(OrtSession.Result result) {
        for (Map.Entry<String, OnnxValue> e : result) {
            if (e.getValue() instanceof OnnxTensor t) {
                long n = elementCount(t.getInfo().getShape());
                if (n > maxOutputElements) {
                    throw new PayloadTooLargeException("model " + id + ": output '" + e.getKey() + "' would have "
                            + (n == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : String.valueOf(n))
                            + " elements, more than the limit of " + maxOutputElements
                            + " (ember.limits.max-output-elements)");
                }
            }
        }
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, Math.max(d, 0));
            } catch (ArithmeticException overflow) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /**
     * The client's error when the request's values made the run fail, else the version's fault. Neither message
     * carries ONNX Runtime's text (source paths, values): callers see it; the cause keeps it for the log.
     */
    private RuntimeException failed(OrtException e) {
        String why = inputError(e);
        if (why != null) {
            return new InvalidInputException("model " + id + " rejected the input values: " + why);
        }
        return new InferenceFailedException("model " + id + " failed" + operator(e) + ": ONNX Runtime error "
                + e.getCode(), e);
    }

    /** " in its Op operator" when ONNX Runtime names the failing node's operator; the full text stays in the cause. */
    private static String operator(OrtException e) {
        var op = OPERATOR.matcher(String.valueOf(e.getMessage()));
        return op.find() ? " in its " + op.group(1) + " operator" : "";
    }

    /**
     * What was wrong with the input when ONNX Runtime says the request's values caused the error, else null.
     * INVALID_ARGUMENT is the kernels' own word for it; shape checks at run time fail as ORT_ENFORCE (ORT_FAIL or
     * RUNTIME_EXCEPTION) and are told apart by their text.
     */
    static String inputError(OrtException e) {
        String message = String.valueOf(e.getMessage());
        OrtException.OrtErrorCode code = e.getCode();
        boolean invalidArgument = code == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT;
        if (!invalidArgument && code != OrtException.OrtErrorCode.ORT_FAIL
                && code != OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION) {
            return null;
        }
        String what = null;
        for (Map.Entry<Pattern, String> rule : INPUT_ERRORS) {
            if (rule.getKey().matcher(message).find()) {
                what = rule.getValue();
                break;
            }
        }
        if (what == null) {
            if (!invalidArgument) {
                return null;
            }
            what = "they are outside what the model accepts";
        }
        var op = OPERATOR.matcher(message);
        return op.find() ? what + " (in its " + op.group(1) + " operator)" : what;
    }

    /** Replaces the failed CUDA session by a CPU session, once; runs that failed on it at the same time reuse it. */
    private void fallBackToCpu(Session failed, OrtException error) {
        synchronized (lifecycle) {
            if (closing.get()) {
                throw unloading();
            }
            if (session != failed) {
                return;
            }
            if (fallback == null) {
                throw new InferenceFailedException("model " + id + " failed: " + error.getMessage(), error);
            }
            try {
                session = new Session(fallback.open("a run on " + failed.device + " failed with a CUDA error: "
                        + error.getMessage()), "cpu");
            } catch (OrtException e) {
                throw new InferenceFailedException("model " + id + " failed on " + failed.device
                        + " and could not be opened on the CPU: " + e.getMessage(), e);
            }
            fallback = null;
            failed.release(id);
        }
    }

    private Session acquire() {
        while (true) {
            if (closing.get()) {
                throw unloading();
            }
            Session s = session;
            if (s.tryAcquire()) {
                if (closing.get()) {
                    s.release(id);
                    throw unloading();
                }
                return s;
            }
            // released between the read and the acquire: closed (the check above throws) or replaced (read again)
        }
    }

    private UnavailableException unloading() {
        return new UnavailableException("model " + id + " is unloading", Duration.ofSeconds(1));
    }

    /** Stops new runs; the session closes after the last run in flight. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closing.compareAndSet(false, true)) {
                session.release(id);
            }
        }
    }

    /** True once the native session has been closed. */
    public boolean isClosed() {
        return closing.get() && session.closed();
    }
}
