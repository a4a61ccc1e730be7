package dev.ember.runtime.generate;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.ember.runtime.api.ChatMessage;
import dev.ember.runtime.api.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's {@code chat_template} (Jinja, rendered by Jinjava as Hugging Face's {@code apply_chat_template} does:
 * blocks trimmed and left-stripped) turning chat messages into the prompt text. The template sees
 * {@code messages} (each with {@code role} and {@code content}), {@code add_generation_prompt} (true),
 * {@code bos_token}, {@code eos_token} and {@code raise_exception(message)}, which refuses the chat with 400.
 */
final class ChatTemplate {

    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Jinjava JINJA = jinjava();
    // what raise_exception was called with on this thread during the render in progress
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String template;
    private final String bosToken;
    private final String eosToken;

    ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** The prompt for {@code messages}; 400 naming {@code messages[i].role} for a role the template cannot take. */
    String render(List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            throw new InvalidInputException("'messages': at least one message is required");
        }
        List<Map<String, Object>> chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m == null || m.role() == null || !ROLES.contains(m.role())) {
                throw new InvalidInputException("'messages[" + i + "].role': must be one of system, user, assistant,"
                        + " tool");
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content() == null ? "" : m.content());
            chat.add(message);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", chat);
        context.put("add_generation_prompt", true);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RAISED.remove();
        RenderResult result;
        try {
            result = JINJA.renderForResult(template, context);
        } catch (RuntimeException e) {
            throw refused(e.getMessage());
        } finally {
            String raised = RAISED.get();
            RAISED.remove();
            if (raised != null) {
                throw new InvalidInputException("'messages': the model's chat template refused them: " + raised);
            }
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw refused(error.getMessage());
            }
        }
        return result.getOutput();
    }

    private static InvalidInputException refused(String why) {
        // the template is the model's, not the client's; the message still only says what failed, not where
        return new InvalidInputException("'messages': the model's chat template cannot render them"
                + (why == null ? "" : ": " + why.lines().findFirst().orElse("")));
    }

    /** Called by templates: {@code raise_exception('...')}. */
    public static String raiseException(String message) {
        RAISED.set(message == null ? "raise_exception" : message);
        throw new IllegalArgumentException(message);
    }

    private static Jinjava jinjava() {
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withMaxOutputSize(16L << 20).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        return jinjava;
    }
}
