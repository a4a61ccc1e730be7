package dev.ember.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.DataType;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.api.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Strict Open Inference Protocol input: a value a datatype cannot hold is refused (never clamped, wrapped or made
 * infinite), a body is exactly one JSON document, nested data has the shape's lengths, and errors name the input and
 * the rule but never echo the value sent.
 */
class V2CodecStrictTest {

    final V2Codec codec = new V2Codec(new RequestLimits(1000, 8, 100));

    Tensor decode(DataType type, String data, String shape) {
        ModelSignature model = new ModelSignature(List.of(new TensorSpec("t", type, new long[] {-1, -1})), List.of());
        return codec.decode(("{\"inputs\": [{\"name\": \"t\", \"datatype\": \"" + type + "\", \"shape\": " + shape
                + ", \"data\": " + data + "}]}").getBytes(StandardCharsets.UTF_8), model).inputs().get("t");
    }

    Tensor one(DataType type, String value) {
        return decode(type, "[" + value + "]", "[1, 1]");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "INT64 | 1e19 | [-9223372036854775808, 9223372036854775807]",
            "INT64 | -1e19 | [-9223372036854775808, 9223372036854775807]",
            "INT64 | 9223372036854775808 | [-9223372036854775808, 9223372036854775807]",
            "INT64 | -9223372036854775809 | [-9223372036854775808, 9223372036854775807]",
            "INT64 | 100000000000000000000000000000 | [-9223372036854775808, 9223372036854775807]",
            "INT32 | 2147483648 | [-2147483648, 2147483647]",
            "INT32 | -2147483649 | [-2147483648, 2147483647]",
            "INT32 | 3e9 | [-2147483648, 2147483647]",
            "INT16 | 32768 | [-32768, 32767]",
            "INT16 | -32769 | [-32768, 32767]",
            "INT8 | 128 | [-128, 127]",
            "INT8 | -129 | [-128, 127]",
            "UINT8 | 256 | [0, 255]",
            "UINT8 | -1 | [0, 255]",
            "FP32 | 1e39 | FP32 range",
            "FP32 | -1e39 | FP32 range",
            "FP32 | 1e309 | FP32 range",
            "FP64 | 1e309 | FP64 range",
            "FP64 | -1e309 | FP64 range",
            "FP16 | 1e6 | FP16 range [-65504, 65504]",
            "FP16 | 65520 | FP16 range [-65504, 65504]",
    })
    void outOfRangeIsRefusedNamingTheInputAndTheRange(DataType type, String value, String range) {
        assertThatThrownBy(() -> one(type, value)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 't'").hasMessageContaining(type.name())
                .hasMessageContaining("out of range").hasMessageContaining(range)
                .satisfies(e -> {
                    if (!range.contains(value.replace("-", ""))) {
                        assertThat(e.getMessage()).doesNotContain(value.replace("-", ""));
                    }
                });
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "INT64 | -9223372036854775808", "INT64 | 9223372036854775807", "INT32 | -2147483648",
            "INT32 | 2147483647", "INT16 | -32768", "INT16 | 32767", "INT8 | -128", "INT8 | 127",
            "UINT8 | 0", "UINT8 | 255", "INT32 | 1e3", "INT64 | 2.0"})
    void theEdgesOfEachIntegerRangeAreAccepted(DataType type, String value) {
        long expected = new java.math.BigDecimal(value).longValueExact();
        Tensor t = one(type, value);
        long got = switch (type) {
            case INT64 -> t.longs().get(0);
            case INT32 -> t.data().getInt(0);
            case INT16 -> t.data().getShort(0);
            case INT8 -> t.data().get(0);
            case UINT8 -> t.data().get(0) & 0xff;
            default -> throw new IllegalStateException();
        };
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void theFloatTypesKeepTheirLargestValues() {
        assertThat(one(DataType.FP32, "3.4028235e38").floats().get(0)).isEqualTo(Float.MAX_VALUE);
        assertThat(one(DataType.FP64, "1.7976931348623157e308").data().getDouble(0)).isEqualTo(Double.MAX_VALUE);
        assertThat(one(DataType.FP16, "65504").data().getShort(0)).isEqualTo((short) 0x7bff);
        // an integer literal beyond 64 bits is fine for a float type
        assertThat(one(DataType.FP64, "100000000000000000000").data().getDouble(0)).isEqualTo(1e20);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16", "INT32", "INT64"})
    void everyIntegerTypeRefusesFractionsBooleansAndInexactExponents(DataType type) {
        assertThatThrownBy(() -> one(type, "1.5")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 't'").hasMessageContaining("not an integer")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("1.5"));
        assertThatThrownBy(() -> one(type, "true")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("boolean");
        assertThatThrownBy(() -> one(type, "\"7\"")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("numbers");
    }

    @Test
    void anInt64WrittenWithAnExponentBeyondTwoToThe53IsRefusedAsInexact() {
        assertThatThrownBy(() -> one(DataType.INT64, "9007199254740993.0")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("plain integer");
    }

    @Test
    void boolTakesTrueFalseZeroAndOneOnly() {
        assertThat(decode(DataType.BOOL, "[true, false, 1, 0]", "[1, 4]").data().get(2)).isEqualTo((byte) 1);
        for (String bad : List.of("2", "-1", "1.0", "\"true\"", "1e400")) {
            assertThatThrownBy(() -> one(DataType.BOOL, bad)).as(bad).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("input 't'");
        }
    }

    @Test
    void raggedOrMisnestedDataIsRefusedNamingTheInput() {
        for (String data : List.of("[[1, 2], [3]]", "[[1, 2, 3], [4]]", "[[1], [2, 3, 4]]", "[[1, 2], 3, 4]",
                "[[[1, 2]], [[3, 4]]]", "[[1, 2, 3, 4]]")) {
            assertThatThrownBy(() -> decode(DataType.FP32, data, "[2, 2]")).as(data)
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("input 't'")
                    .hasMessageContaining("[2, 2]");
        }
        // flat and exactly nested data are both fine
        assertThat(decode(DataType.FP32, "[1, 2, 3, 4]", "[2, 2]").elementCount()).isEqualTo(4);
        assertThat(decode(DataType.FP32, "[[1, 2], [3, 4]]", "[2, 2]").elementCount()).isEqualTo(4);
        assertThat(decode(DataType.FP32, "[[1, 2, 3]]", "[1, 3]").elementCount()).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {" x", " {}", "{\"inputs\": []}", " [1]", " 1", " \"a\"", "}"})
    void contentAfterTheDocumentIsRefused(String trailing) {
        String body = "{\"inputs\": [{\"name\": \"t\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1]}]}"
                + trailing;
        ModelSignature model = new ModelSignature(List.of(new TensorSpec("t", DataType.FP32, new long[] {-1, -1})),
                List.of());
        assertThatThrownBy(() -> codec.decode(body.getBytes(StandardCharsets.UTF_8), model))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("content after")
                .hasMessageContaining("exactly one JSON document");
    }

    @Test
    void aNumberThousandsOfDigitsLongNamesTheNumberLimit() {
        V2Codec roomy = new V2Codec(new RequestLimits(1000, 8, 1 << 20));
        ModelSignature model = new ModelSignature(List.of(new TensorSpec("t", DataType.FP64, new long[] {-1})),
                List.of());
        assertThatThrownBy(() -> roomy.decode(("{\"inputs\": [{\"name\": \"t\", \"datatype\": \"FP64\", \"shape\": [1],"
                + " \"data\": [1" + "0".repeat(5000) + "]}]}").getBytes(StandardCharsets.UTF_8), model))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("JSON number is longer")
                .hasMessageContaining(String.valueOf(RequestLimits.MAX_NUMBER_LENGTH))
                .hasMessageContaining("maxNumberLength").satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain("string"));
    }

    @Test
    void syntaxErrorsGiveThePlaceNotTheText() {
        ModelSignature model = new ModelSignature(List.of(new TensorSpec("t", DataType.FP32, new long[] {-1})),
                List.of());
        assertThatThrownBy(() -> codec.decode("{\"inputs\": [secretvalue]}".getBytes(StandardCharsets.UTF_8), model))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("line 1, column")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secretvalue").doesNotContain("`"));
        assertThatThrownBy(() -> codec.decode(("{\"inputs\": [{\"name\": \"t\", \"datatype\": \"SECRET\"}]}")
                .getBytes(StandardCharsets.UTF_8), model)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("inputs[0].datatype").satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain("SECRET"));
    }
}
