package dev.ember.runtime.generate;

import dev.ember.runtime.config.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationEnginesTest {

    @ParameterizedTest
    @CsvSource({"max-running, 0", "max-waiting, 0", "prefill-chunk, -1", "kv-cache-budget, 0"})
    void aBadGenerateSettingIsRefusedAtStartNamingTheProperty(String property, String value) {
        String key = "ember.functions.chat.generate." + property;
        assertThatThrownBy(() -> GenerationEngines.check(TestConfig.ember(Map.of(
                "ember.functions.ok.generate.max-running", "4", key, value))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(key + " must be");
    }

    @Test
    void theDefaultsAndPositiveSettingsPass() {
        assertThatCode(() -> GenerationEngines.check(TestConfig.ember(Map.of(
                "ember.functions.chat.generate.max-running", "1",
                "ember.functions.chat.generate.max-waiting", "1",
                "ember.functions.chat.generate.prefill-chunk", "1",
                "ember.functions.chat.generate.kv-cache-budget", "1M",
                "ember.functions.other.generate.max-waiting", "8"))))
                .doesNotThrowAnyException();
    }
}
