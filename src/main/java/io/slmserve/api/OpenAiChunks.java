package io.slmserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.api.dto.ChatCompletionResponse;
import io.slmserve.api.dto.ChatCompletionResponse.Delta;
import io.slmserve.api.dto.CompletionResponse;
import io.slmserve.api.dto.OpenAiError;
import io.slmserve.api.dto.Usage;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;
import io.slmserve.inference.Completion;
import io.slmserve.inference.GenerationEvent;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Shapes one OpenAI request's answer: a whole text_completion or chat.completion, or its stream of chunks
 * (a role chunk per chat choice, one chunk per token, a finish_reason chunk per choice, an optional usage
 * chunk, then {@code [DONE]}). One instance per request.
 */
final class OpenAiChunks implements SseWriter.Renderer {

    private final boolean chat;
    private final ObjectMapper json;
    private final boolean includeUsage;
    private final boolean logprobs;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final Set<Integer> started = new HashSet<>();
    private final ChatReplies replies;
    private volatile String model;

    OpenAiChunks(boolean chat, ObjectMapper json, boolean includeUsage, boolean logprobs) {
        this(chat, json, includeUsage, logprobs, new ChatReplies(ToolChoice.NONE, null));
    }

    /** A chat request's chunks, its replies split into content, reasoning and tool calls by {@code replies}. */
    OpenAiChunks(boolean chat, ObjectMapper json, boolean includeUsage, boolean logprobs, ChatReplies replies) {
        this.replies = replies;
        this.chat = chat;
        this.json = json;
        this.includeUsage = includeUsage;
        this.logprobs = logprobs;
        this.id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }

    void model(String value) {
        this.model = value;
    }

    @Override
    public List<String> apply(GenerationEvent event) {
        List<String> out = new ArrayList<>(2);
        if (event instanceof GenerationEvent.Token t) {
            if (chat && started.add(t.index())) {
                out.add(chatChunk(t.index(), new Delta("assistant", ""), null, null));
            }
            List<GeneratedToken> one = List.of(t.token());
            if (chat) {
                // Text that may start a tool call is held back; its token's logprobs go out with an empty delta.
                List<Delta> deltas = replies.feed(t.index(), t.token().text());
                ChatCompletionResponse.Logprobs lp = chatLogprobs(one);
                if (deltas.isEmpty() && (lp != null || t.token().text().isEmpty())) {
                    deltas = List.of(new Delta(null, ""));
                }
                for (Delta d : deltas) {
                    out.add(chatChunk(t.index(), d, lp, null));
                    lp = null;
                }
            } else {
                out.add(textChunk(t.index(), t.token().text(), textLogprobs(one, 0), null));
            }
        } else if (event instanceof GenerationEvent.ChoiceEnd end) {
            String reason = end.reason().openAi();
            if (chat) {
                for (Delta d : replies.finish(end.index())) {
                    out.add(chatChunk(end.index(), d, null, null));
                }
                out.add(chatChunk(end.index(), new Delta(null, null), null, replies.finishReason(end.index(), reason)));
            } else {
                out.add(textChunk(end.index(), "", null, reason));
            }
        } else if (event instanceof GenerationEvent.Done done) {
            if (includeUsage) {
                Usage usage = usage(done.completion());
                out.add(write(chat ? new ChatCompletionResponse(id, "chat.completion.chunk", created, model, List.of(),
                        usage) : new CompletionResponse(id, "text_completion", created, model, List.of(), usage)));
            }
            out.add("[DONE]");
        } else if (event instanceof GenerationEvent.Failed failed) {
            ServingException e = failed.error();
            out.add(write(new OpenAiError(new OpenAiError.Detail(e.getMessage(), e.kind().openAiType(), e.param(),
                    e.kind().code()))));
            out.add("[DONE]");
        }
        return out;
    }

    CompletionResponse completion(Completion c) {
        List<CompletionResponse.Choice> choices = c.choices().stream().map(ch -> new CompletionResponse.Choice(
                ch.index(), ch.text(), textLogprobs(ch.tokens(), 0), ch.finishReason().openAi())).toList();
        return new CompletionResponse(id, "text_completion", created, c.model(), choices, usage(c));
    }

    ChatCompletionResponse chat(Completion c) {
        List<ChatCompletionResponse.Choice> choices = c.choices().stream().map(ch -> {
            ChatCompletionResponse.Message message = replies.message(ch.text());
            return new ChatCompletionResponse.Choice(ch.index(), message, null, chatLogprobs(ch.tokens()),
                    ChatReplies.finishReason(ch.finishReason().openAi(), message));
        }).toList();
        return new ChatCompletionResponse(id, "chat.completion", created, c.model(), choices, usage(c));
    }

    private static Usage usage(Completion c) {
        return Usage.of(c.promptTokens(), c.generatedTokens());
    }

    private String textChunk(int index, String text, CompletionResponse.Logprobs lp, String reason) {
        return write(new CompletionResponse(id, "text_completion", created, model,
                List.of(new CompletionResponse.Choice(index, text, lp, reason)), null));
    }

    private String chatChunk(int index, Delta delta, ChatCompletionResponse.Logprobs lp, String reason) {
        return write(new ChatCompletionResponse(id, "chat.completion.chunk", created, model,
                List.of(new ChatCompletionResponse.Choice(index, null, delta, lp, reason)), null));
    }

    private CompletionResponse.Logprobs textLogprobs(List<GeneratedToken> tokens, int offset) {
        if (!logprobs) {
            return null;
        }
        List<String> texts = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Map<String, Double>> tops = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int at = offset;
        for (GeneratedToken t : tokens) {
            texts.add(t.piece());
            values.add(t.logprob());
            Map<String, Double> top = new LinkedHashMap<>();
            t.top().forEach(a -> top.putIfAbsent(a.text(), a.logprob()));
            tops.add(top);
            offsets.add(at);
            at += t.text().length();
        }
        return new CompletionResponse.Logprobs(texts, values, tops, offsets);
    }

    private ChatCompletionResponse.Logprobs chatLogprobs(List<GeneratedToken> tokens) {
        if (!logprobs) {
            return null;
        }
        List<ChatCompletionResponse.TokenLogprob> content = new ArrayList<>();
        for (GeneratedToken t : tokens) {
            List<ChatCompletionResponse.TokenLogprob> top = t.top().stream()
                    .map(a -> new ChatCompletionResponse.TokenLogprob(a.text(), a.logprob(), bytes(a.text()), null))
                    .toList();
            content.add(new ChatCompletionResponse.TokenLogprob(t.piece(), t.logprob(), bytes(t.piece()), top));
        }
        return new ChatCompletionResponse.Logprobs(content);
    }

    private static List<Integer> bytes(String text) {
        List<Integer> out = new ArrayList<>();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.add(b & 0xff);
        }
        return out;
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
