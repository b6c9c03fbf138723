// One panel per task: a form, a run button and the answer. Each panel is built once; refreshing the model
// list only updates its model choices, so what a person typed stays.

import { postJson, postStream } from './api.js';
import { field, h, scoreRow } from './dom.js';

/** The frame every panel shares: title, model choice, inputs, run button, status line, output and error. */
function panel(task, title, hint, inputs, run) {
  const select = h('select', { name: 'model', 'aria-label': `${title} model` });
  const button = h('button', { type: 'submit', class: 'run' }, 'Run');
  const status = h('span', { class: 'status', 'data-role': 'status' });
  const output = h('div', { class: 'output', 'data-role': 'output' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { class: 'panel', id: `panel-${task}`, 'data-task': task },
    h('header', {}, h('h3', {}, title), h('code', { class: 'task' }, task)),
    h('p', { class: 'hint' }, hint),
    field('Model', select, true),
    inputs,
    h('div', { class: 'actions' }, button, status),
    error,
    output);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    form.dataset.state = 'running';
    const started = performance.now();
    status.textContent = 'running…';
    try {
      const note = await run(select.value, output, status);
      status.textContent = `${Math.round(performance.now() - started)} ms${note ? ` · ${note}` : ''}`;
      form.dataset.state = 'done';
    } catch (e) {
      error.textContent = e.requestId ? `${e.message} (request id ${e.requestId})` : e.message;
      error.hidden = false;
      status.textContent = '';
      form.dataset.state = 'failed';
    } finally {
      button.disabled = false;
    }
  });
  return {
    element: form,
    setModels(models) {
      const chosen = select.value;
      select.replaceChildren(...models.map((m) =>
        h('option', { value: m.id }, m.status === 'READY' ? m.id : `${m.id} (${m.status})`)));
      const ready = models.find((m) => m.status === 'READY');
      select.value = models.some((m) => m.id === chosen) ? chosen : (ready || models[0]).id;
    },
  };
}

function number(name, value, min, max, step) {
  return h('input', { type: 'number', name, value, min, max, step });
}

function generation() {
  const mode = h('select', { name: 'mode' },
    h('option', { value: 'completion' }, 'Completion (/v1/completions)'),
    h('option', { value: 'chat' }, 'Chat (/v1/chat/completions)'));
  const prompt = h('textarea', { name: 'prompt', rows: 3 }, 'In the beginning God created');
  const maxTokens = number('max_tokens', 60, 1, 4096, 1);
  const temperature = number('temperature', 0.8, 0, 2, 0.1);
  const stream = h('input', { type: 'checkbox', name: 'stream', checked: true });
  const inputs = h('div', { class: 'fields' }, field('API', mode, true), field('Prompt', prompt, true),
    field('Max tokens', maxTokens), field('Temperature', temperature),
    h('label', { class: 'check' }, stream, ' stream tokens as they arrive'));
  return panel('text-generation', 'Text generation', 'A decoder continues the prompt; with streaming on, tokens '
    + 'appear as the server sends them (server-sent events).', inputs, async (model, output) => {
    const chat = mode.value === 'chat';
    const path = chat ? '/v1/chat/completions' : '/v1/completions';
    const body = { model, max_tokens: Number(maxTokens.value), temperature: Number(temperature.value) };
    if (chat) body.messages = [{ role: 'user', content: prompt.value }];
    else body.prompt = prompt.value;
    const text = h('span', { class: 'generated' });
    output.replaceChildren(chat ? '' : h('span', { class: 'prompt' }, prompt.value), text);
    if (!stream.checked) {
      const answer = await postJson(path, body);
      const choice = answer.choices[0];
      text.textContent = chat ? choice.message.content : choice.text;
      return `${answer.usage.completion_tokens} tokens · finish: ${choice.finish_reason}`;
    }
    const started = performance.now();
    let first = 0;
    let chunks = 0;
    let finish = '';
    await postStream(path, { ...body, stream: true }, (chunk) => {
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) return;
      const piece = chat ? choice.delta?.content : choice.text;
      if (piece) {
        if (!first) first = performance.now() - started;
        chunks += 1;
        text.textContent += piece;
        output.scrollTop = output.scrollHeight; // follow the text as it grows
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    const seconds = (performance.now() - started - first) / 1000;
    const rate = chunks > 1 && seconds > 0 ? ` · ${((chunks - 1) / seconds).toFixed(0)} tokens/s` : '';
    return `${chunks} chunks · first after ${Math.round(first)} ms${rate} · finish: ${finish}`;
  });
}

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

function embeddings() {
  const first = h('textarea', { name: 'text-a', rows: 2 }, 'The cat sits on the mat.');
  const second = h('textarea', { name: 'text-b', rows: 2 }, 'A kitten is resting on a rug.');
  const inputs = h('div', { class: 'fields' }, field('Text A', first, true), field('Text B', second, true));
  return panel('text-embedding', 'Embeddings similarity', 'Both texts are embedded in one /v1/embeddings call; '
    + 'the cosine of the two vectors is computed here.', inputs, async (model, output) => {
    const answer = await postJson('/v1/embeddings', { model, input: [first.value, second.value] });
    const [a, b] = answer.data.map((d) => d.embedding);
    const score = cosine(a, b);
    output.replaceChildren(h('div', { class: 'big', 'data-role': 'similarity' }, score.toFixed(4)),
      scoreRow('cosine', Math.max(0, score)));
    return `${a.length} dimensions · ${answer.usage.prompt_tokens} tokens`;
  });
}

function fillMask() {
  const text = h('input', { name: 'inputs', value: 'In the beginning God created the [MASK] and the earth.' });
  const topK = number('top_k', 5, 1, 100, 1);
  const inputs = h('div', { class: 'fields' }, field('Text with one [MASK]', text, true), field('Top k', topK));
  return panel('fill-mask', 'Fill mask', 'The encoder guesses the masked word (/fill-mask).', inputs,
    async (model, output) => {
      const answer = await postJson('/fill-mask', { model, inputs: text.value, top_k: Number(topK.value) });
      output.replaceChildren(...answer.map((c) => scoreRow(c.token_str, c.score)));
      return `best: ${answer[0]?.sequence ?? ''}`;
    });
}

function classification() {
  const text = h('textarea', { name: 'inputs', rows: 2 }, 'And Jesus answered and said unto them');
  const inputs = h('div', { class: 'fields' }, field('Text', text, true));
  return panel('text-classification', 'Classification', 'Labels with their probabilities (/predict).', inputs,
    async (model, output) => {
      const answer = await postJson('/predict', { model, inputs: text.value });
      output.replaceChildren(...answer.map((l) => scoreRow(l.label, l.score)));
      return `best: ${answer[0]?.label ?? ''}`;
    });
}

function seq2seq() {
  const text = h('input', { name: 'inputs', value: '1987' });
  // nano-bart generates at most 32 tokens (max_total_tokens - max_input_tokens); its longest answer takes 17.
  const maxTokens = number('max_new_tokens', 32, 1, 512, 1);
  const inputs = h('div', { class: 'fields' }, field('Input', text, true), field('Max new tokens', maxTokens));
  return panel('text2text-generation', 'Sequence to sequence', 'An encoder-decoder rewrites the input '
    + '(/generate), e.g. nano-bart spells numbers out in words.', inputs, async (model, output) => {
    const answer = await postJson('/generate', {
      model, inputs: text.value, parameters: { max_new_tokens: Number(maxTokens.value), details: true },
    });
    output.replaceChildren(h('span', { class: 'generated' }, answer.generated_text));
    return answer.details ? `${answer.details.generated_tokens} tokens · finish: ${answer.details.finish_reason}` : '';
  });
}

/** Panel builders by task id, in the order the page shows them. */
export const PANELS = {
  'text-generation': generation,
  'text-embedding': embeddings,
  'fill-mask': fillMask,
  'text-classification': classification,
  'text2text-generation': seq2seq,
};
