package io.slmserve.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.slmserve.inference.ChatTemplate.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Jinja subset of chat templates. */
class ChatTemplateTest {

    private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hello"), new ChatMessage("assistant", "Hi"), new ChatMessage("user", "Again"));

    @Test
    void rendersTheNanoGptTemplate() {
        String template = "{% for message in messages %}{% if message['role'] == 'assistant' %}"
                + "{{ message['content'] }}{{ eos_token }}{% else %}{{ message['content'] }}\n{% endif %}{% endfor %}";
        assertEquals("Be brief.\nHello\nHi<|endoftext|>Again\n",
                ChatTemplate.parse(template).render(CHAT, "", "<|endoftext|>"));
    }

    @Test
    void rendersAChatMlStyleTemplate() {
        String template = "{{ bos_token }}{%- for message in messages -%}\n<|im_start|>{{ message.role + '\\n' }}"
                + "{{ message.content | trim }}<|im_end|>\n{%- endfor -%}"
                + "{% if add_generation_prompt and not false %}<|im_start|>assistant\n{% endif %}";
        assertEquals("<s><|im_start|>system\nBe brief.<|im_end|><|im_start|>user\nHello<|im_end|>"
                + "<|im_start|>assistant\nHi<|im_end|><|im_start|>user\nAgain<|im_end|><|im_start|>assistant\n",
                ChatTemplate.parse(template).render(CHAT, "<s>", "</s>"));
    }

    @Test
    void elifAndLoopVariables() {
        String template = "{% for m in messages %}{% if loop.first %}[{% elif m.role == 'user' %}|{% else %},"
                + "{% endif %}{{ m.content }}{% if loop.last %}]{% endif %}{% endfor %}";
        assertEquals("[Be brief.|Hello,Hi|Again]", ChatTemplate.parse(template).render(CHAT, "", ""));
    }

    @Test
    void thePlainDefaultPutsOneMessagePerLine() {
        assertEquals("Be brief.\nHello\nHi\nAgain\n", ChatTemplate.PLAIN.render(CHAT, "", ""));
    }

    @Test
    void unsupportedJinjaIsRejectedAtParseTime() {
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("{% set x = 1 %}{{ x }}"));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("{% for m in messages %}"));
    }
}
