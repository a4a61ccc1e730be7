package dev.ember.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ChatMessage;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.testing.DecoderModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    @Test
    void rendersChatMlWithTheGenerationPrompt() {
        ChatTemplate t = new ChatTemplate(DecoderModels.CHAT_TEMPLATE, "", "<|endoftext|>");
        String prompt = t.render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi!")));
        assertThat(prompt).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\n");
    }

    @Test
    void blocksAreTrimmedAndTheSpecialTokensAreThere() {
        // as Hugging Face renders: trim_blocks and lstrip_blocks, bos_token and eos_token in the context
        String template = "{{ bos_token }}\n{% for m in messages %}\n  {% if m.role == 'user' %}\nQ: {{ m.content }}\n"
                + "  {% else %}\nA: {{ m.content }}{{ eos_token }}\n  {% endif %}\n{% endfor %}\n"
                + "{% if add_generation_prompt %}A:{% endif %}";
        ChatTemplate t = new ChatTemplate(template, "<s>", "</s>");
        assertThat(t.render(List.of(new ChatMessage("user", "one"), new ChatMessage("assistant", "two"),
                new ChatMessage("user", "three")))).isEqualTo("<s>\nQ: one\nA: two</s>\nQ: three\nA:");
    }

    @Test
    void anUnknownRoleIs400NamingIt() {
        ChatTemplate t = new ChatTemplate(DecoderModels.CHAT_TEMPLATE, "", "");
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage("user", "a"), new ChatMessage("wizard", "b"))))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("'messages[1].role'");
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage(null, "b"))))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("'messages[0].role'");
        assertThatThrownBy(() -> t.render(List.of())).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("'messages'");
    }

    @Test
    void raiseExceptionRefusesTheChatWithTheTemplatesWords() {
        String template = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('a system message must come"
                + " first') }}{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}";
        ChatTemplate t = new ChatTemplate(template, "", "");
        assertThat(t.render(List.of(new ChatMessage("system", "s"), new ChatMessage("user", "u")))).isEqualTo("su");
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage("user", "u"))))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("'messages'")
                .hasMessageContaining("a system message must come first");
    }

    @Test
    void aNullContentRendersEmpty() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}[{{ m.content }}]{% endfor %}", "", "");
        assertThat(t.render(List.of(new ChatMessage("assistant", null)))).isEqualTo("[]");
    }
}
