package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.FixtureModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A CUDA failure at run time: the model's session is rebuilt on the CPU once, counted and logged, and the failed
 * run is repeated there. The CUDA path is forced to fail through the session seam: a CPU session that reports
 * {@code cuda:0} and fails its runs with ONNX Runtime's CUDA error text.
 */
class CudaRunFallbackTest {

    static final ModelId ADD = new ModelId("add", 1);
    static final String CUDA_FAILURE = "[ONNXRuntimeError] : 1 : FAIL : CUDA failure 700: an illegal memory access"
            + " was encountered ; GPU=0 ; expr=cudaStreamSynchronize(stream)";

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SessionFactory factory = new SessionFactory(TestConfig.ember(Map.of("ember.device", "cpu")), registry);
    final OrtEnvironment env = OnnxEnvironment.get();

    /** A session on cuda:0 as far as Ember can tell, whose first {@code failures} runs fail with {@code error}. */
    static final class FailingCudaSession extends LoadedModel.Session {
        final AtomicInteger failuresLeft;
        final String error;
        final OrtException.OrtErrorCode code;

        FailingCudaSession(OrtSession ort, int failures, String error) {
            this(ort, failures, OrtException.OrtErrorCode.ORT_FAIL, error);
        }

        FailingCudaSession(OrtSession ort, int failures, OrtException.OrtErrorCode code, String error) {
            super(ort, "cuda:0");
            this.failuresLeft = new AtomicInteger(failures);
            this.code = code;
            this.error = error;
        }

        @Override
        OrtSession.Result run(Map<String, OnnxTensor> feeds, Set<String> outputs) throws OrtException {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new OrtException(code, error);
            }
            return super.run(feeds, outputs);
        }
    }

    LoadedModel model(FailingCudaSession session) throws OrtException {
        byte[] bytes = FixtureModels.add();
        return new LoadedModel(ADD, env, session, new ModelSignature(TensorConversion.specs(session.ort.getInputInfo()),
                TensorConversion.specs(session.ort.getOutputInfo())), bytes.length, false, 1 << 20,
                factory.cpuFallback(env, ADD, new SessionFactory.Model(null, bytes, bytes.length)));
    }

    FailingCudaSession failing(int failures, String error) throws OrtException {
        return failing(failures, error, OrtException.OrtErrorCode.ORT_FAIL);
    }

    FailingCudaSession failing(int failures, String error, OrtException.OrtErrorCode code) throws OrtException {
        return new FailingCudaSession(env.createSession(FixtureModels.add(), new OrtSession.SessionOptions()), failures,
                code, error);
    }

    static float[] sum(LoadedModel model, float a) {
        Map<String, Tensor> inputs = Map.of("a", Tensor.ofFloats(new long[] {1, 3}, new float[] {a, a, a}),
                "b", Tensor.ofFloats(new long[] {1, 3}, new float[] {1, 2, 3}));
        float[] sum = new float[3];
        model.run(inputs, Set.of()).get("sum").floats().get(sum);
        return sum;
    }

    double fallbacks() {
        var counter = registry.find("ember.device.fallbacks").tag("reason", "cuda_run_error").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aCudaErrorAtRunRebuildsTheSessionOnCpuOnceAndRepeatsThatRun() throws Exception {
        FailingCudaSession cuda = failing(1, CUDA_FAILURE);
        try (LoadedModel model = model(cuda)) {
            assertThat(model.device()).isEqualTo("cuda:0");
            assertThat(sum(model, 1)).containsExactly(2, 3, 4);
            assertThat(model.device()).isEqualTo("cpu");
            assertThat(fallbacks()).isEqualTo(1.0);
            assertThat(cuda.closed()).as("the failed CUDA session is released").isTrue();

            assertThat(sum(model, 2)).containsExactly(3, 4, 5);
            assertThat(fallbacks()).isEqualTo(1.0);
            assertThat(registry.get("ember.device.fallbacks").tag("function", "add").tag("version", "1").counter()
                    .count()).isEqualTo(1.0);
        }
    }

    @Test
    void concurrentRunsFailingOnTheSameDeviceFallBackOnceAndAllComplete() throws Exception {
        // a sticky CUDA error: every run on the device fails, including those already in flight
        try (LoadedModel model = model(failing(Integer.MAX_VALUE, CUDA_FAILURE))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<float[]>> runs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    float a = i;
                    runs.add(pool.submit(() -> {
                        go.await();
                        return sum(model, a);
                    }));
                }
                go.countDown();
                for (int i = 0; i < runs.size(); i++) {
                    assertThat(runs.get(i).get(30, TimeUnit.SECONDS)).containsExactly(i + 1, i + 2, i + 3);
                }
            } finally {
                pool.shutdown();
            }
            assertThat(model.device()).isEqualTo("cpu");
            assertThat(fallbacks()).isEqualTo(1.0);
        }
    }

    @Test
    void anErrorThatIsNotTheDevicesFailsTheRunAndKeepsTheSession() throws Exception {
        try (LoadedModel model = model(failing(1, "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code"
                + " returned while running MatMul node. Name:'MatMul_0' Status Message: bad allocation",
                OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION))) {
            assertThatThrownBy(() -> sum(model, 1)).isInstanceOf(InferenceFailedException.class)
                    .hasMessage("model add/1 failed in its MatMul operator: ONNX Runtime error ORT_RUNTIME_EXCEPTION")
                    .cause().hasMessageContaining("bad allocation");
            assertThat(model.device()).isEqualTo("cuda:0");
            assertThat(fallbacks()).isZero();
            assertThat(sum(model, 1)).containsExactly(2, 3, 4);
        }
    }

    @Test
    void anInvalidArgumentOnTheDeviceIsTheClientsAndKeepsTheSession() throws Exception {
        FailingCudaSession cuda = new FailingCudaSession(env.createSession(FixtureModels.add(),
                new OrtSession.SessionOptions()), 1, OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT,
                "Non-zero status code returned while running Gather node. Name:'Gather_0' Status Message: indices"
                        + " element out of data bounds, idx=99 must be within the inclusive range [-4,3]");
        try (LoadedModel model = model(cuda)) {
            assertThatThrownBy(() -> sum(model, 1)).isInstanceOf(InvalidInputException.class)
                    .hasMessage("model add/1 rejected the input values: an index is out of range (in its Gather"
                            + " operator)");
            assertThat(model.device()).isEqualTo("cuda:0");
            assertThat(fallbacks()).isZero();
            assertThat(sum(model, 1)).containsExactly(2, 3, 4);
        }
    }

    @Test
    void closingReleasesTheCpuSessionThatReplacedTheCudaOne() throws Exception {
        LoadedModel model = model(failing(1, CUDA_FAILURE));
        sum(model, 1);
        model.close();
        assertThat(model.isClosed()).isTrue();
    }
}
