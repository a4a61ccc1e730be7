package dev.ember.runtime.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.LogitsProcessor;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a generator version knows beside its graph, read from the files next to its {@code model.onnx}:
 * {@code config.json} (the context, {@code max_position_embeddings} or {@code n_positions}; end-of-sequence ids),
 * {@code generation_config.json} (end-of-sequence ids, sampling defaults; optional), {@code tokenizer.json}
 * and {@code tokenizer_config.json} (the chat template and its {@code bos_token} / {@code eos_token}; optional: a
 * model without one serves prompts only). It turns a {@link GenerationRequest} into the prompt's tokens and the
 * sequence's settings, refusing what the model cannot honour with 400 naming the OpenAI field.
 */
public final class GeneratorModel implements AutoCloseable {

    static final String CONFIG = "config.json";
    static final String GENERATION_CONFIG = "generation_config.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelId id;
    private final TokenCodec tokens;
    private final Optional<ChatTemplate> chatTemplate;
    private final Set<Long> eos;
    private final int maxPositions;
    private final OptionalDouble defaultTemperature;
    private final OptionalDouble defaultTopP;

    GeneratorModel(ModelId id, TokenCodec tokens, Optional<ChatTemplate> chatTemplate, Set<Long> eos,
            int maxPositions, OptionalDouble defaultTemperature, OptionalDouble defaultTopP) {
        this.id = id;
        this.tokens = tokens;
        this.chatTemplate = chatTemplate;
        this.eos = Set.copyOf(eos);
        this.maxPositions = maxPositions;
        this.defaultTemperature = defaultTemperature;
        this.defaultTopP = defaultTopP;
    }

    /** What a sequence runs with: validated, defaults applied. */
    record Prepared(long[] prompt, int maxTokens, double temperature, double topP, long seed, List<String> stop,
            List<LogitsProcessor> processors) {
    }

    /** Reads the generator files of {@code id} from {@code dir}; missing or invalid ones fail naming the file. */
    public static GeneratorModel read(ModelId id, Path dir) throws ModelLoadException {
        JsonNode config = json(id, dir, CONFIG, true);
        JsonNode generation = json(id, dir, GENERATION_CONFIG, false);
        JsonNode tokenizerConfig = json(id, dir, TOKENIZER_CONFIG, false);
        int maxPositions = 0;
        for (String key : List.of("max_position_embeddings", "n_positions", "max_sequence_length", "n_ctx")) {
            JsonNode n = config.get(key);
            if (n != null && n.canConvertToInt() && n.isIntegralNumber()) {
                maxPositions = n.intValue();
                break;
            }
        }
        if (maxPositions <= 0) {
            throw new ModelLoadException("model " + id + ": its config.json gives no positive max_position_embeddings"
                    + " or n_positions (the model's context)");
        }
        Set<Long> eos = new LinkedHashSet<>();
        ids(id, GENERATION_CONFIG, generation.get("eos_token_id"), eos);
        ids(id, CONFIG, config.get("eos_token_id"), eos);
        OptionalDouble temperature = number(id, generation, "temperature");
        JsonNode doSample = generation.get("do_sample");
        if (doSample != null && doSample.isBoolean() && !doSample.booleanValue()) {
            temperature = OptionalDouble.of(0); // the model's authors ask for greedy decoding
        }
        OptionalDouble topP = number(id, generation, "top_p");
        Optional<ChatTemplate> chat = template(id, tokenizerConfig).map(t -> new ChatTemplate(t,
                token(tokenizerConfig.get("bos_token")), token(tokenizerConfig.get("eos_token"))));
        Path tokenizer = dir.resolve(TOKENIZER);
        if (!Files.isRegularFile(tokenizer)) {
            throw new ModelLoadException("model " + id + ": no tokenizer.json beside its model.onnx");
        }
        return new GeneratorModel(id, HuggingFaceTokens.read(id, tokenizer), chat, eos, maxPositions, temperature,
                topP);
    }

    public ModelId id() {
        return id;
    }

    /** The model's context: most positions a sequence (prompt and completion) may take. */
    public int maxPositions() {
        return maxPositions;
    }

    public boolean chat() {
        return chatTemplate.isPresent();
    }

    TokenCodec tokens() {
        return tokens;
    }

    Set<Long> eos() {
        return eos;
    }

    /** Validates and resolves a request; {@link InvalidInputException} naming the OpenAI field. */
    Prepared prepare(GenerationRequest request) {
        double temperature = request.temperature().isPresent() ? request.temperature().getAsDouble()
                : defaultTemperature.orElse(1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new InvalidInputException("'temperature': must be between 0 and 2");
        }
        double topP = request.topP().isPresent() ? request.topP().getAsDouble() : defaultTopP.orElse(1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidInputException("'top_p': must be greater than 0 and at most 1");
        }
        if (request.maxTokens().isPresent()) {
            int n = request.maxTokens().getAsInt();
            if (n < 1) {
                throw new InvalidInputException("'max_tokens': must be at least 1");
            }
            if (n > maxPositions) {
                throw new InvalidInputException("'max_tokens': must be at most the model's context of " + maxPositions
                        + " tokens");
            }
        }
        for (String stop : request.stop()) {
            if (stop == null || stop.isEmpty()) {
                throw new InvalidInputException("'stop': a stop string must not be empty");
            }
        }
        String field = request.chat() ? "messages" : "prompt";
        long[] prompt;
        if (request.chat()) {
            ChatTemplate template = chatTemplate.orElseThrow(() -> new InvalidInputException("'messages': model "
                    + id.model() + " has no chat_template in its tokenizer_config.json; send a prompt to"
                    + " /v1/completions instead"));
            // the template writes the special tokens itself, as Hugging Face's apply_chat_template does
            prompt = tokens.encode(template.render(request.messages()), false);
        } else {
            prompt = tokens.encode(request.prompt(), true);
        }
        if (prompt.length == 0) {
            throw new InvalidInputException("'" + field + "': must not be empty (it gives no tokens)");
        }
        if (prompt.length >= maxPositions) {
            throw new InvalidInputException("'" + field + "': " + prompt.length + " tokens, but the model's context"
                    + " is " + maxPositions + " tokens, prompt and completion together");
        }
        int room = maxPositions - prompt.length;
        int maxTokens = Math.min(request.maxTokens().orElse(room), room);
        long seed = request.seed().isPresent() ? request.seed().getAsLong() : ThreadLocalRandom.current().nextLong();
        return new Prepared(prompt, maxTokens, temperature, topP, seed, request.stop(), request.logitsProcessors());
    }

    @Override
    public void close() {
        if (tokens instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // a native tokenizer that fails to free itself leaks a little; nothing else depends on it
            }
        }
    }

    private static JsonNode json(ModelId id, Path dir, String name, boolean required) throws ModelLoadException {
        Path file = dir.resolve(name);
        try {
            JsonNode node = JSON.readTree(Files.readString(file));
            if (node == null || !node.isObject()) {
                throw new ModelLoadException("model " + id + ": its " + name + " is not a JSON object");
            }
            return node;
        } catch (NoSuchFileException e) {
            if (required) {
                throw new ModelLoadException("model " + id + ": no " + name + " beside its model.onnx (a generator"
                        + " needs config.json, generation_config.json, tokenizer.json, tokenizer_config.json)");
            }
            return JSON.createObjectNode();
        } catch (IOException e) {
            throw new ModelLoadException("model " + id + ": its " + name + " cannot be read as JSON: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    private static void ids(ModelId id, String file, JsonNode node, Set<Long> into) throws ModelLoadException {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isIntegralNumber()) {
            into.add(node.longValue());
            return;
        }
        if (node.isArray()) {
            for (JsonNode n : node) {
                if (!n.isIntegralNumber()) {
                    throw new ModelLoadException("model " + id + ": eos_token_id in its " + file
                            + " must be an integer or a list of integers");
                }
                into.add(n.longValue());
            }
            return;
        }
        throw new ModelLoadException("model " + id + ": eos_token_id in its " + file
                + " must be an integer or a list of integers");
    }

    private static OptionalDouble number(ModelId id, JsonNode node, String key) throws ModelLoadException {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            return OptionalDouble.empty();
        }
        if (!n.isNumber()) {
            throw new ModelLoadException("model " + id + ": " + key + " in its generation_config.json must be a"
                    + " number");
        }
        return OptionalDouble.of(n.doubleValue());
    }

    /** The chat template: a string, or a list of named templates of which the one named "default". */
    private static Optional<String> template(ModelId id, JsonNode tokenizerConfig) throws ModelLoadException {
        JsonNode t = tokenizerConfig.get("chat_template");
        if (t == null || t.isNull()) {
            return Optional.empty();
        }
        if (t.isTextual()) {
            return Optional.of(t.textValue());
        }
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText(null)) && named.path("template").isTextual()) {
                    return Optional.of(named.get("template").textValue());
                }
            }
            return Optional.empty();
        }
        throw new ModelLoadException("model " + id + ": chat_template in its tokenizer_config.json must be a string"
                + " or a list of named templates");
    }

    /** A special token as tokenizer_config.json writes it: a string, or an object with its {@code content}. */
    private static String token(JsonNode node) {
        if (node == null || node.isNull()) {
            return "";
        }
        return node.isTextual() ? node.textValue() : node.path("content").asText("");
    }
}
