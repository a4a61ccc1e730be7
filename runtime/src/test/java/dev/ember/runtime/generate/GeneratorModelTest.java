package dev.ember.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ChatMessage;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;
import dev.ember.runtime.testing.DecoderModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorModelTest {

    static final ModelId ID = new ModelId("gen", 1);

    @TempDir
    Path dir;

    private final List<GeneratorModel> open = new ArrayList<>();

    @AfterEach
    void close() {
        open.forEach(GeneratorModel::close);
    }

    GeneratorModel read(DecoderModels.Builder builder) throws ModelLoadException {
        GeneratorModel m = GeneratorModel.read(ID, builder.write(dir));
        open.add(m);
        return m;
    }

    @Test
    void readsTheContextTheEndTokensAndTheChatTemplate() throws Exception {
        GeneratorModel m = read(DecoderModels.builder().maxPositions(128).eosTokenIds(DecoderModels.ENDOFTEXT,
                DecoderModels.IM_END));
        assertThat(m.maxPositions()).isEqualTo(128);
        assertThat(m.eos()).containsExactlyInAnyOrder((long) DecoderModels.ENDOFTEXT, (long) DecoderModels.IM_END);
        assertThat(m.chat()).isTrue();
        GeneratorModel.Prepared p = m.prepare(GenerationRequest.ofMessages(List.of(new ChatMessage("user", "hi"))));
        assertThat(p.prompt()[0]).isEqualTo(DecoderModels.IM_START);
        assertThat(m.tokens().decode(p.prompt())).isEqualTo("user\nhi\nassistant\n");
        assertThat(p.maxTokens()).isEqualTo(128 - p.prompt().length);
        assertThat(p.temperature()).as("OpenAI's default").isEqualTo(1.0);
    }

    @Test
    void theTokenizerNeverCutsAt512() throws Exception {
        GeneratorModel m = read(DecoderModels.builder().maxPositions(4096));
        String text = "abc ".repeat(500);
        assertThat(m.tokens().encode(text, true).length).isGreaterThan(1000);
        assertThat(m.tokens().decode(m.tokens().encode(text, true))).isEqualTo(text);
        assertThat(m.prepare(GenerationRequest.ofPrompt(text)).prompt().length).isGreaterThan(1000);
    }

    @Test
    void samplingDefaultsComeFromGenerationConfig() throws Exception {
        GeneratorModel greedy = read(DecoderModels.builder().sampling(false, 0.7));
        assertThat(greedy.prepare(GenerationRequest.ofPrompt("x")).temperature()).isZero();
        assertThat(greedy.prepare(GenerationRequest.ofPrompt("x").withSampling(OptionalDouble.of(0.5),
                OptionalDouble.empty(), OptionalLong.empty())).temperature()).isEqualTo(0.5);
    }

    @Test
    void aNamedTemplateListGivesTheDefaultOne() throws Exception {
        Path d = DecoderModels.builder().write(dir);
        Files.writeString(d.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"<|endoftext|>\"},"
                + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"{{ eos_token }}{{ messages[0].content }}\"}]}");
        GeneratorModel m = GeneratorModel.read(ID, d);
        open.add(m);
        long[] prompt = m.prepare(GenerationRequest.ofMessages(List.of(new ChatMessage("user", "hi")))).prompt();
        assertThat(prompt[0]).isEqualTo(DecoderModels.ENDOFTEXT);
        assertThat(prompt).hasSize(3);
    }

    @Test
    void missingOrInvalidFilesFailTheLoadNamingTheFile() throws Exception {
        Path d = DecoderModels.builder().write(dir);
        Files.delete(d.resolve("config.json"));
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json");
        Files.writeString(d.resolve("config.json"), "{\"max_position_embeddings\": ");
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json cannot be read");
        Files.writeString(d.resolve("config.json"), "{\"hidden_size\": 4}");
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("max_position_embeddings");
        Files.writeString(d.resolve("config.json"), "{\"n_positions\": 64, \"eos_token_id\": \"x\"}");
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("eos_token_id");
        Files.writeString(d.resolve("config.json"), "{\"n_positions\": 64}");
        Files.writeString(d.resolve("tokenizer.json"), "{\"model\": 1}");
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.json");
        Files.delete(d.resolve("tokenizer.json"));
        assertThatThrownBy(() -> GeneratorModel.read(ID, d)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void everyBadFieldIs400NamingIt() throws Exception {
        GeneratorModel m = read(DecoderModels.builder().maxPositions(64));
        GenerationRequest ok = GenerationRequest.ofPrompt("xyzzy");
        assertThat(m.prepare(ok).prompt()).hasSize(5);
        assertBad(m, ok.withSampling(OptionalDouble.of(-0.1), OptionalDouble.empty(), OptionalLong.empty()),
                "'temperature'");
        assertBad(m, ok.withSampling(OptionalDouble.of(2.01), OptionalDouble.empty(), OptionalLong.empty()),
                "'temperature'");
        assertBad(m, ok.withSampling(OptionalDouble.of(Double.NaN), OptionalDouble.empty(), OptionalLong.empty()),
                "'temperature'");
        assertBad(m, ok.withSampling(OptionalDouble.empty(), OptionalDouble.of(0), OptionalLong.empty()), "'top_p'");
        assertBad(m, ok.withSampling(OptionalDouble.empty(), OptionalDouble.of(1.5), OptionalLong.empty()),
                "'top_p'");
        assertBad(m, ok.withMaxTokens(0), "'max_tokens'");
        assertBad(m, ok.withMaxTokens(-3), "'max_tokens'");
        assertBad(m, ok.withMaxTokens(65), "'max_tokens'");
        assertBad(m, ok.withStop(List.of("")), "'stop'");
        assertBad(m, GenerationRequest.ofPrompt(""), "'prompt'");
        assertBad(m, GenerationRequest.ofPrompt("x".repeat(64)), "'prompt'");
        assertBad(m, GenerationRequest.ofMessages(List.of(new ChatMessage("user", "x".repeat(80)))), "'messages'");
        assertBad(m, GenerationRequest.ofMessages(List.of(new ChatMessage("robot", "x"))), "'messages[0].role'");
        assertBad(m, GenerationRequest.ofMessages(List.of()), "'messages'");
        // a prompt that leaves less room than max_tokens is cut at the context, not refused
        assertThat(m.prepare(GenerationRequest.ofPrompt("x".repeat(60)).withMaxTokens(30)).maxTokens()).isEqualTo(4);
        assertThat(m.prepare(new GenerationRequest("hi", List.of(), OptionalInt.of(64), OptionalDouble.of(2),
                OptionalDouble.of(1), OptionalLong.of(3), List.of(), List.of())).seed()).isEqualTo(3);
    }

    @Test
    void aModelWithoutChatTemplateRefusesMessages() throws Exception {
        Path d = DecoderModels.builder().write(dir);
        Files.writeString(d.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        GeneratorModel m = GeneratorModel.read(ID, d);
        open.add(m);
        assertThat(m.chat()).isFalse();
        assertBad(m, GenerationRequest.ofMessages(List.of(new ChatMessage("user", "x"))), "'messages'");
        assertThatThrownBy(() -> m.prepare(GenerationRequest.ofMessages(List.of(new ChatMessage("user", "x")))))
                .hasMessageContaining("chat_template");
    }

    static void assertBad(GeneratorModel m, GenerationRequest r, String field) {
        assertThatThrownBy(() -> m.prepare(r)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith(field);
    }
}
