package dev.ember.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.EmbeddingRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.testing.TestBeans;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Functions' JSON bodies: exactly one document, and errors that name the field and the rule, nothing more. */
class JsonBodiesTest {

    final JsonBodies json = TestBeans.create(JsonBodies.class, new ObjectMapper(), TestConfig.ember(Map.of()));

    public record Typed(@JsonProperty("count") int count, @JsonProperty("names") List<String> names,
            @JsonProperty("flag") Boolean flag, @JsonProperty("nested") Inner nested) {
    }

    public record Inner(@JsonProperty("size") long size) {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"input\": \"a\"} x", "{\"input\": \"a\"} {\"input\": \"b\"}", "{\"input\": \"a\"}}",
            "{\"input\": \"a\"} 1", "{\"input\": \"a\"} \"b\"", "{\"input\": \"a\"}[]"})
    void contentAfterTheDocumentIsRefused(String body) {
        assertThatThrownBy(() -> json.read(utf8(body), EmbeddingRequest.class))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("content after")
                .hasMessageContaining("exactly one JSON document");
    }

    @Test
    void oneDocumentWithSurroundingWhiteSpaceIsRead() {
        assertThat(json.read(utf8("  {\"input\": \"a\", \"model\": \"embed\"}\n\t "), EmbeddingRequest.class).model())
                .isEqualTo("embed");
    }

    @Test
    void wrongTypesNameTheFieldAndTheRuleWithoutTheValueOrJavaTypes() {
        Map<String, String> cases = Map.of(
                "{\"count\": \"seven-secret\"}", "field 'count' must be an integer in [-2147483648, 2147483647]",
                "{\"count\": 1.5e3000}", "",
                "{\"names\": {\"a\": \"secret\"}}", "field 'names' must be an array",
                "{\"names\": [[\"secret\"]]}", "field 'names[0]' must be a string",
                "{\"flag\": \"secret\"}", "field 'flag' must be true or false",
                "{\"nested\": {\"size\": \"secret\"}}", "field 'nested.size' must be an integer",
                "[\"secret\"]", "the request body must be a JSON object");
        cases.forEach((body, expected) -> assertThatThrownBy(() -> json.read(utf8(body), Typed.class)).as(body)
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret").doesNotContain("dev.ember")
                        .doesNotContain("java.").doesNotContain("`").doesNotContain("Typed")));
    }

    @Test
    void aNumberTooLargeForItsFieldIsRefusedWithTheRange() {
        assertThatThrownBy(() -> json.read(utf8("{\"count\": 99999999999}"), Typed.class))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("[-2147483648, 2147483647]")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("99999999999"));
    }

    @Test
    void theEmbeddingRequestNeverEchoesItsClassOrValues() {
        for (String body : List.of("{\"model\": {\"secret\": 1}}", "{\"dimensions\": \"secret\"}",
                "{\"input\": \"a\", \"model\": [\"secret\"]}", "\"secret\"", "{\"model\": tru}")) {
            assertThatThrownBy(() -> json.read(utf8(body), EmbeddingRequest.class)).as(body)
                    .isInstanceOf(InvalidInputException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret").doesNotContain("tru")
                            .doesNotContain("dev.ember").doesNotContain("EmbeddingRequest").doesNotContain("`"));
        }
        assertThatThrownBy(() -> json.read(utf8("{\"model\": {\"secret\": 1}}"), EmbeddingRequest.class))
                .hasMessage("field 'model' must be a string");
    }

    @Test
    void syntaxErrorsGiveThePlaceOnly() {
        assertThatThrownBy(() -> json.read(utf8("{\"input\": secret}"), EmbeddingRequest.class))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("malformed JSON at line 1, column")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
        assertThatThrownBy(() -> json.read(utf8("{\"input\": \"a\""), EmbeddingRequest.class))
                .hasMessageContaining("ends before it is complete");
    }

    @Test
    void aLongNumberNamesTheNumberLimit() {
        assertThatThrownBy(() -> json.read(utf8("{\"dimensions\": 1" + "0".repeat(5000) + "}"),
                EmbeddingRequest.class)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("JSON number is longer than the limit of 1000").hasMessageContaining(
                        "maxNumberLength");
    }
}
