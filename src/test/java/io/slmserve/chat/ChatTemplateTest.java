package io.slmserve.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the golden files cannot show: errors name their position, unknown constructs fail at compile time
 * rather than render as something else, strftime_now reads today's date, and JSON-ish Java values (Integer,
 * BigDecimal) behave as Python ints and floats.
 */
class ChatTemplateTest {

    private static String render(String template, Map<String, Object> kwargs) {
        return ChatTemplate.compile(template).render(List.of(Map.of("role", "user", "content", "Hi")), null, null,
                true, "<s>", "</s>", kwargs);
    }

    @Test
    void syntaxErrorsNameLineAndColumn() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> ChatTemplate.compile("line one\n  {{ messages[0] + }}"));
        assertEquals(2, e.line());
        assertEquals(20, e.column());
        assertTrue(e.getMessage().startsWith("chat template line 2, column 20: unexpected '}}'"), e.getMessage());
        e = assertThrows(TemplateSyntaxException.class, () -> ChatTemplate.compile("{% if x %}open"));
        assertTrue(e.getMessage().contains("missing {% endif %}"), e.getMessage());
    }

    @Test
    void unknownStatementsFiltersAndTestsFailAtCompileTime() {
        assertTrue(assertThrows(TemplateSyntaxException.class, () -> ChatTemplate.compile("{{ x | frobnicate }}"))
                .getMessage().contains("no filter named 'frobnicate'"));
        assertTrue(assertThrows(TemplateSyntaxException.class, () -> ChatTemplate.compile("{{ x is shiny }}"))
                .getMessage().contains("no test named 'shiny'"));
        assertTrue(assertThrows(TemplateSyntaxException.class, () -> ChatTemplate.compile("{% include 'x' %}"))
                .getMessage().contains("unsupported statement 'include'"));
        assertTrue(assertThrows(TemplateSyntaxException.class, () -> ChatTemplate.compile("{% break %}"))
                .getMessage().contains("outside a for loop"));
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessageAndOtherErrorsSayWhatFailed() {
        TemplateRenderException raised = assertThrows(TemplateRenderException.class,
                () -> render("{{ raise_exception('Only user and assistant roles are supported!') }}", Map.of()));
        assertTrue(raised.raisedByTemplate());
        assertEquals("Only user and assistant roles are supported!", raised.getMessage());
        TemplateRenderException undefined = assertThrows(TemplateRenderException.class,
                () -> render("{{ messages[0].nothing.deeper }}", Map.of()));
        assertFalse(undefined.raisedByTemplate());
        assertEquals("'dict object' has no attribute 'nothing'", undefined.getMessage());
        assertEquals("can only concatenate str (not \"int\") to str",
                assertThrows(TemplateRenderException.class, () -> render("{{ 'a' + 1 }}", Map.of())).getMessage());
    }

    @Test
    void strftimeNowFormatsTodaysDate() {
        String expected = LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        String got = render("{{ strftime_now('%d %b %Y') }}", Map.of());
        // Rendering may cross midnight; then the date is tomorrow's.
        String tomorrow = LocalDate.now().plusDays(1).format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        assertTrue(got.equals(expected) || got.equals(tomorrow), got);
    }

    @Test
    void javaNumbersBehaveAsPythonIntsAndFloats() {
        Map<String, Object> kwargs = Map.of("i", 3, "d", new BigDecimal("2.50"), "f", 0.1f);
        assertEquals("6|5.0|0.1|{\"i\": 3, \"d\": 2.5}",
                render("{{ i * 2 }}|{{ d * 2 }}|{{ f }}|{{ {'i': i, 'd': d} | tojson }}", kwargs));
    }

    @Test
    void kwargsMayNotReplaceTheConversationButMayOverrideSpecialTokens() {
        assertTrue(assertThrows(TemplateRenderException.class, () -> render("x", Map.of("messages", List.of())))
                .getMessage().contains("may not set 'messages'"));
        assertEquals("<|bos|>Hi", render("{{ bos_token }}{{ messages[0].content }}", Map.of("bos_token", "<|bos|>")));
    }

    @Test
    void aCompiledTemplateRendersConcurrently() throws Exception {
        ChatTemplate t = ChatTemplate.compile("{% set ns = namespace(n=0) %}{% for m in messages %}"
                + "{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
        for (int k = 0; k < 4; k++) {
            int size = k + 1;
            Thread th = new Thread(() -> {
                List<Map<String, Object>> msgs = java.util.Collections.nCopies(size, Map.of("role", "user"));
                for (int i = 0; i < 200; i++) {
                    if (!t.render(msgs, null, null, false, "", "", Map.of()).equals(Integer.toString(size))) {
                        wrong.incrementAndGet();
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(0, wrong.get());
    }
}
