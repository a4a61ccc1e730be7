package dev.ember.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.config.EmberConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The embed keys live in the runtime's {@code ember.functions.<f>} namespace, where SmallRye Config refuses a
 * property that no mapping claims: {@link EmbedConfig} claims these two, and only these.
 */
class EmbedConfigTest {

    static SmallRyeConfig config(Map<String, String> properties, Class<?>... mappings) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "application.properties", 250))
                // Quarkus's own converters, as in the application: "30s" durations and "512M" sizes
                .withConverter(Duration.class, 100, new DurationConverter())
                .withConverter(MemorySize.class, 100, new MemorySizeConverter());
        for (Class<?> mapping : mappings) {
            builder.withMapping(mapping);
        }
        return builder.build();
    }

    @Test
    void bothMappingsReadTheirOwnKeysUnderEmberFunctionsEmbed() {
        SmallRyeConfig config = config(Map.of(
                "ember.functions.embed.model", "classpath:all-minilm-l6-v2.onnx",
                "ember.functions.embed.batch.max-size", "32",
                "ember.functions.embed.tokenizer", "other-tokenizer.json",
                "ember.functions.embed.max-tokens", "8"), EmberConfig.class, EmbedConfig.class);
        EmbedConfig embed = config.getConfigMapping(EmbedConfig.class);
        assertThat(embed.tokenizer()).isEqualTo("other-tokenizer.json");
        assertThat(embed.maxTokens()).isEqualTo(8);
        EmberConfig.Function function = config.getConfigMapping(EmberConfig.class).functions().get("embed");
        assertThat(function.model()).contains("classpath:all-minilm-l6-v2.onnx");
        assertThat(function.batch().maxSize()).isEqualTo(32);
    }

    @Test
    void defaultsAreTheBundledTokenizerAnd256Tokens() {
        EmbedConfig embed = config(Map.of(), EmberConfig.class, EmbedConfig.class).getConfigMapping(EmbedConfig.class);
        assertThat(embed.tokenizer()).isEqualTo("all-minilm-l6-v2-tokenizer.json");
        assertThat(embed.maxTokens()).isEqualTo(256);
    }

    @Test
    void withoutEmbedConfigTheKeyIsUnknownToTheRuntime() {
        // why the keys need a mapping of their own: the runtime's map alone refuses them
        assertThatThrownBy(() -> config(Map.of("ember.functions.embed.max-tokens", "8"), EmberConfig.class))
                .hasMessageContaining("SRCFG00050: ember.functions.embed.max-tokens in")
                .hasMessageContaining("does not map to any root");
    }

    @Test
    void aMisspelledEmbedKeyStillFailsStartUp() {
        assertThatThrownBy(() -> config(Map.of("ember.functions.embed.max-tokenz", "8"), EmberConfig.class,
                EmbedConfig.class)).hasMessageContaining("SRCFG00050: ember.functions.embed.max-tokenz in")
                .hasMessageContaining("does not map to any root");
    }
}
