package dev.ember.runtime.pool;

import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.onnx.Decoder;
import dev.ember.runtime.onnx.DecoderLayout;
import dev.ember.runtime.onnx.KvCache;
import dev.ember.runtime.onnx.LoadedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Warms a pinned version up with its function's own {@code warmupRequest()}, through the function's
 * {@code prepare} and response step, so tokenisation and post-processing are exercised too; plain models, and
 * functions that supply no request, run on sample inputs derived from the model's signature (best effort: a
 * model those cannot feed is logged and served without a warm-up).
 */
@ApplicationScoped
public class FunctionWarmUp implements WarmUp {

    private static final Logger LOG = Logger.getLogger(FunctionWarmUp.class);

    private final Instance<InferenceFunction<?, ?>> functions;

    FunctionWarmUp(@Any Instance<InferenceFunction<?, ?>> functions) {
        this.functions = functions;
    }

    /**
     * Creates every function bean now (start-up calls it in the background): what their constructors load, such as a
     * tokenizer and its native library, is then ready before the first request or warm-up needs it.
     */
    @Override
    public void prepare() {
        long start = System.nanoTime();
        List<String> names = functions.stream().map(InferenceFunction::name).toList();
        LOG.debugf("functions %s created in %d ms", names, (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void run(LoadedModel model) {
        // once per load of a pinned version: a scan of the few function beans is cheap
        Optional<InferenceFunction<?, ?>> function = functions.stream()
                .filter(f -> f.name().equals(model.id().model())).findFirst();
        if (function.isPresent() && runRequest(function.get(), model)) {
            return;
        }
        try {
            if (DecoderLayout.of(model.signature()).isPresent()) {
                warmDecoder(model);
                return;
            }
            model.run(WarmUp.sampleInputs(model.signature()), Set.of());
        } catch (RuntimeException e) {
            // sample inputs are a guess (a model may need real lengths or values): never fail a load over them
            LOG.warnf("model %s: warm-up on sample inputs failed, it serves without a warm-up: %s", model.id(),
                    e.getMessage());
        }
    }

    /**
     * A generator's warm-up: a one-token prompt pass on an empty past, the shapes a real first step has (sample
     * inputs of size 1 everywhere give a mask as long as the past, not one longer, which only some graphs
     * broadcast). Returns the bytes of the cache it made.
     */
    static long warmDecoder(LoadedModel model) {
        Decoder decoder = model.decoder();
        try (KvCache past = decoder.empty(1);
                KvCache present = decoder.run(new long[][] {{0}}, new long[][] {{1}}, new long[][] {{0}}, past)
                        .present()) {
            LOG.debugf("model %s: decoder warmed up, cache of %d bytes", model.id(), present.bytes());
            return present.bytes();
        }
    }

    private static <Q, R> boolean runRequest(InferenceFunction<Q, R> function, LoadedModel model) {
        Optional<Q> request = function.warmupRequest();
        if (request.isEmpty()) {
            return false;
        }
        ModelCall<R> call = function.prepare(request.get(), model.signature());
        call.respond().apply(model.run(call.inputs(), call.outputs()));
        return true;
    }
}
