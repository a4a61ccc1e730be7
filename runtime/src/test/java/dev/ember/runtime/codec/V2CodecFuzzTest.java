package dev.ember.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the Open Inference Protocol request decoder against a fixed signature: every body either decodes into
 * tensors that match the signature or is refused with a 400 or 413 exception; nothing else escapes. The suite runs
 * the committed corpus ({@code V2CodecFuzzTestInputs/decode}); {@code JAZZER_FUZZ=1} fuzzes (RELIABILITY.md).
 */
class V2CodecFuzzTest {

    static final ModelSignature SIGNATURE = new ModelSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 4}),
                    new TensorSpec("n", DataType.INT64, new long[] {-1}),
                    new TensorSpec("s", DataType.BYTES, new long[] {-1}),
                    new TensorSpec("b", DataType.BOOL, new long[] {-1, -1}),
                    new TensorSpec("h", DataType.FP16, new long[] {2})),
            List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 4}),
                    new TensorSpec("z", DataType.INT64, new long[] {-1})));
    // small limits, so that short inputs reach every limit's code path
    static final V2Codec CODEC = new V2Codec(new RequestLimits(4096, 16, 256));

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{\"inputs\":[", "\"name\":", "\"datatype\":", "\"shape\":", "\"data\":", "\"outputs\":",
            "\"parameters\":", "\"id\":", "\"x\"", "\"n\"", "\"s\"", "\"b\"", "\"h\"", "\"y\"", "\"FP32\"", "\"INT64\"",
            "\"BYTES\"", "\"BOOL\"", "\"FP16\"", "\"UINT64\"", "[1000000000]", "18446744073709551615", "1e309", "-0",
            "true", "null", "\\u0000", "[[[[", "]]]]"})
    void decode(byte[] body) {
        V2Request request;
        try {
            request = CODEC.decode(body, SIGNATURE);
        } catch (InvalidInputException | PayloadTooLargeException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(request.inputs().keySet()).containsExactlyInAnyOrder("x", "n", "s", "b", "h");
        for (Map.Entry<String, Tensor> input : request.inputs().entrySet()) {
            Tensor t = input.getValue();
            TensorSpec spec = SIGNATURE.input(input.getKey()).orElseThrow();
            assertThat(t.datatype()).isEqualTo(spec.datatype());
            assertThat(t.rank()).isEqualTo(spec.shape().length);
            assertThat(t.elementCount()).isEqualTo(Tensor.elementCount(t.shape())).isLessThanOrEqualTo(4096);
        }
        assertThat(request.outputs()).allMatch(name -> SIGNATURE.output(name).isPresent());
    }
}
