package dev.ember.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.UnavailableException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One session of one model version, shared by all threads. Runs proceed concurrently (ONNX Runtime sessions are
 * thread-safe for {@code run}); {@link #close()} marks it closing and the session is closed exactly once, by
 * whichever of close or the last in-flight run comes last.
 */
public final class LoadedModel implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LoadedModel.class);

    private final ModelId id;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelSignature signature;
    private final String device;
    private final long sizeBytes;
    private final boolean dynamicallyQuantized;
    // 1 for the owner plus 1 per run in flight; the session closes when it reaches 0
    private final AtomicInteger users = new AtomicInteger(1);
    private final AtomicBoolean closing = new AtomicBoolean();

    LoadedModel(ModelId id, OrtEnvironment env, OrtSession session, ModelSignature signature, String device,
            long sizeBytes, boolean dynamicallyQuantized) {
        this.id = id;
        this.env = env;
        this.session = session;
        this.signature = signature;
        this.device = device;
        this.sizeBytes = sizeBytes;
        this.dynamicallyQuantized = dynamicallyQuantized;
    }

    public ModelId id() {
        return id;
    }

    public ModelSignature signature() {
        return signature;
    }

    /** Where the session really runs: {@code cpu} or {@code cuda:N}. */
    public String device() {
        return device;
    }

    /** Size of the model file, the unit of the pool's memory budget. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Whether the graph quantises activations at run time, so its results depend on the whole batch. */
    public boolean dynamicallyQuantized() {
        return dynamicallyQuantized;
    }

    public boolean isClosing() {
        return closing.get();
    }

    /** Runs the model; {@code outputs} empty = all outputs. Inputs must already match the signature. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        acquire();
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                feeds.put(e.getKey(), TensorConversion.toOnnx(env, e.getValue()));
            }
            Set<String> wanted = outputs.isEmpty() ? session.getOutputNames() : outputs;
            try (OrtSession.Result result = session.run(feeds, wanted)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    out.put(e.getKey(), TensorConversion.fromOnnx((OnnxTensor) e.getValue()));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new InferenceFailedException("model " + id + " failed: " + e.getMessage(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
            release();
        }
    }

    private void acquire() {
        int n;
        do {
            n = users.get();
            if (n == 0 || closing.get()) {
                throw new UnavailableException("model " + id + " is unloading", Duration.ofSeconds(1));
            }
        } while (!users.compareAndSet(n, n + 1));
    }

    private void release() {
        if (users.decrementAndGet() == 0) {
            try {
                session.close();
                LOG.debugf("session of %s closed", id);
            } catch (OrtException e) {
                LOG.warnf("closing the session of %s failed: %s", id, e.getMessage());
            }
        }
    }

    /** Stops new runs; the session closes after the last run in flight. Idempotent. */
    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            release();
        }
    }

    /** True once the native session has been closed. */
    public boolean isClosed() {
        return users.get() == 0;
    }
}
