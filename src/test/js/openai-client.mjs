// The official openai npm client against a running slm-serve: embeddings (base64 default and float), completions
// and chat completions (plain and streamed), an error, and the model list. Usage: node openai-client.mjs BASE_URL
// (e.g. http://localhost:8080/v1). Exits non-zero on the first failed assertion; OpenAiNodeClientTest runs it.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.argv[2];
assert.ok(baseURL, 'usage: node openai-client.mjs BASE_URL');
// No retries: a 429 or 5xx must fail the check, not be hidden by the client's back-off.
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });

const EMBEDDER = 'all-minilm-l6-v2';
const DECODER = 'nano-gpt';
const texts = ['The cat sits on the mat.', 'A dog plays in the park.'];

async function step(name, fn) {
  await fn();
  console.log(`ok ${name}`);
}

await step('embeddings: default base64 equals encoding_format float', async () => {
  // The client asks for base64 when no encoding_format is given and decodes it to floats itself.
  const viaBase64 = await client.embeddings.create({ model: EMBEDDER, input: texts });
  const viaFloat = await client.embeddings.create({ model: EMBEDDER, input: texts, encoding_format: 'float' });
  assert.equal(viaBase64.model, EMBEDDER);
  assert.equal(viaBase64.data.length, texts.length);
  assert.equal(viaFloat.data.length, texts.length);
  assert.ok(viaBase64.usage.prompt_tokens > 0, 'usage.prompt_tokens');
  for (let i = 0; i < texts.length; i++) {
    const a = viaBase64.data[i].embedding;
    const b = viaFloat.data[i].embedding;
    assert.equal(viaBase64.data[i].index, i);
    assert.ok(Array.isArray(a) || ArrayBuffer.isView(a), `decoded base64 embedding ${i} is a vector`);
    assert.equal(a.length, 384);
    assert.equal(b.length, 384);
    for (let d = 0; d < 384; d++) {
      assert.ok(Math.abs(a[d] - b[d]) <= 1e-6, `embedding ${i} dim ${d}: base64 ${a[d]} vs float ${b[d]}`);
    }
    const norm = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4, `embedding ${i} is unit length (${norm})`);
  }
});

await step('completions: streamed text equals the greedy text', async () => {
  const request = { model: DECODER, prompt: 'In the beginning', max_tokens: 24, temperature: 0 };
  const plain = await client.completions.create(request);
  assert.equal(plain.object, 'text_completion');
  assert.equal(plain.choices.length, 1);
  const text = plain.choices[0].text;
  assert.ok(text.length > 0, 'non-empty completion');
  assert.ok(['length', 'stop'].includes(plain.choices[0].finish_reason), plain.choices[0].finish_reason);
  assert.ok(plain.usage.completion_tokens > 0 && plain.usage.completion_tokens <= 24, 'completion_tokens');
  let streamed = '';
  let chunks = 0;
  let finish = null;
  for await (const chunk of await client.completions.create({ ...request, stream: true })) {
    chunks++;
    for (const choice of chunk.choices) {
      streamed += choice.text;
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.ok(chunks > 1, `several chunks (${chunks})`);
  assert.equal(streamed, text);
  assert.equal(finish, plain.choices[0].finish_reason);
});

await step('chat completions: plain and streamed with include_usage', async () => {
  const request = {
    model: DECODER,
    messages: [{ role: 'user', content: 'Blessed are the meek' }],
    max_tokens: 20,
    temperature: 0,
  };
  const plain = await client.chat.completions.create(request);
  assert.equal(plain.object, 'chat.completion');
  assert.equal(plain.choices[0].message.role, 'assistant');
  const content = plain.choices[0].message.content;
  assert.ok(typeof content === 'string' && content.length > 0, 'non-empty reply');
  assert.ok(plain.usage.prompt_tokens > 0 && plain.usage.completion_tokens > 0, 'usage');

  let streamed = '';
  let usage = null;
  let contentChunks = 0;
  const stream = await client.chat.completions.create({
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0, 'the usage chunk has no choices');
      usage = chunk.usage;
    }
    for (const choice of chunk.choices) {
      if (choice.delta.content) {
        streamed += choice.delta.content;
        contentChunks++;
      }
    }
  }
  assert.ok(contentChunks >= 1, "content arrived in chunks");
  assert.equal(streamed, content);
  assert.ok(usage, 'a usage chunk arrived');
  assert.deepEqual(
    [usage.prompt_tokens, usage.completion_tokens, usage.total_tokens],
    [plain.usage.prompt_tokens, plain.usage.completion_tokens, plain.usage.total_tokens]);
});

await step('chat completions: tools are accepted, bad tools are a 400 naming the field', async () => {
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  }];
  const messages = [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function',
      function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temperature": 21}' },
  ];
  // nano-gpt's template has no tool format: the reply is plain content, the request path is the real one.
  const reply = await client.chat.completions.create({ model: DECODER, messages, tools, tool_choice: 'auto',
    max_tokens: 8, temperature: 0 });
  assert.equal(typeof reply.choices[0].message.content, 'string');
  assert.ok(['length', 'stop'].includes(reply.choices[0].finish_reason), reply.choices[0].finish_reason);
  const broken = [{ type: 'function', function: { name: 'get_weather', parameters: 'not a schema' } }];
  await assert.rejects(client.chat.completions.create({ model: DECODER, messages, tools: broken, max_tokens: 2 }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `BadRequestError, got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.error.param, 'tools[0].function.parameters');
      return true;
    });
  await assert.rejects(client.chat.completions.create({ model: DECODER, messages, tools,
    tool_choice: { type: 'function', function: { name: 'get_time' } }, max_tokens: 2 }),
    (err) => err instanceof OpenAI.BadRequestError && err.error.param === 'tool_choice');
});

// nano-llama-tools (models/nano-llama-tools) is trained to call these tools. Whether its arguments are the question's
// numbers is ToolModelHeldoutTest's measurement (its card: it often miscopies digits); here the client's side of the
// protocol is checked: a call of the right function with arguments valid for the schema, the tool run on them, and
// the result back in the final answer. Small numbers keep the copying short.
const TOOL_MODEL = 'nano-llama-tools';
const integers = (names) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'integer' }])),
  required: names });
const TASK_TOOLS = [
  { type: 'function', function: { name: 'add', description: 'Add two integers.', parameters: integers(['a', 'b']) } },
  { type: 'function', function: { name: 'subtract', description: 'Subtract b from a.', parameters: integers(['a', 'b']) } },
  { type: 'function', function: { name: 'multiply', description: 'Multiply two integers.', parameters: integers(['a', 'b']) } },
  { type: 'function', function: { name: 'get_weekday', description: 'Day of the week of a date.',
    parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] } } },
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
// The tools themselves, written here: the model only chooses the call and copies the result.
const runTool = (name, args) => ({
  add: () => String(args.a + args.b),
  subtract: () => String(args.a - args.b),
  multiply: () => String(args.a * args.b),
  get_weekday: () => WEEKDAYS[new Date(`${args.date}T00:00:00Z`).getUTCDay()],
})[name]();

/** Asserts a call of the expected function with schema-valid arguments; returns the messages with the tool's result. */
function checkCall(messages, call, name) {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^call_/);
  assert.equal(call.function.name, name);
  const args = JSON.parse(call.function.arguments);
  const schema = TASK_TOOLS.find((t) => t.function.name === name).function.parameters;
  assert.deepEqual(Object.keys(args).sort(), [...schema.required].sort());
  for (const [k, v] of Object.entries(args)) {
    assert.ok(schema.properties[k].type === 'integer' ? Number.isInteger(v) : typeof v === 'string', `${k}: ${v}`);
  }
  const result = runTool(name, args);
  return { result, messages: [...messages, { role: 'assistant', content: null, tool_calls: [call] },
    { role: 'tool', tool_call_id: call.id, content: result }] };
}

await step('tool calling: a trained model calls a tool, gets its result and answers', async () => {
  const messages = [{ role: 'user', content: 'What is 10 plus 35?' }];
  const reply = await client.chat.completions.create({ model: TOOL_MODEL, messages, tools: TASK_TOOLS,
    temperature: 0, max_tokens: 64 });
  assert.equal(reply.choices[0].finish_reason, 'tool_calls');
  assert.equal(reply.choices[0].message.tool_calls.length, 1);
  const next = checkCall(messages, reply.choices[0].message.tool_calls[0], 'add');
  const final = await client.chat.completions.create({ model: TOOL_MODEL, messages: next.messages,
    tools: TASK_TOOLS, temperature: 0, max_tokens: 64 });
  assert.equal(final.choices[0].finish_reason, 'stop');
  assert.match(final.choices[0].message.content, /\d/, final.choices[0].message.content); // exact quoting of the result is ToolModelHeldoutTest's measurement
  assert.ok(!final.choices[0].message.tool_calls?.length, 'no second call');
});

await step('tool calling, streamed: tool-call deltas in OpenAI shape, then a streamed answer', async () => {
  const messages = [{ role: 'user', content: 'What is 11 times 39?' }];
  const stream = await client.chat.completions.create({ model: TOOL_MODEL, messages, tools: TASK_TOOLS,
    temperature: 0, max_tokens: 64, stream: true });
  const calls = [];
  let finish = null;
  let content = '';
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    finish = choice.finish_reason ?? finish;
    content += choice.delta.content ?? '';
    for (const d of choice.delta.tool_calls ?? []) {
      if (!calls[d.index]) {
        // OpenAI's shape: the first delta of a call carries id, type and name; later ones argument pieces.
        assert.ok(d.id && d.type === 'function' && d.function?.name, `first delta: ${JSON.stringify(d)}`);
        calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: '' }, pieces: 0 };
      } else {
        assert.ok(!d.id && !d.function?.name, `later delta: ${JSON.stringify(d)}`);
      }
      if (d.function?.arguments) {
        calls[d.index].function.arguments += d.function.arguments;
        calls[d.index].pieces++;
      }
    }
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(content.trim(), '');
  assert.equal(calls.length, 1);
  assert.ok(calls[0].pieces >= 1, 'arguments arrived');
  const { pieces, ...call } = calls[0];
  const next = checkCall(messages, call, 'multiply');
  let answer = '';
  let answerFinish = null;
  for await (const chunk of await client.chat.completions.create({ model: TOOL_MODEL, messages: next.messages,
    tools: TASK_TOOLS, temperature: 0, max_tokens: 64, stream: true })) {
    answer += chunk.choices[0]?.delta.content ?? '';
    answerFinish = chunk.choices[0]?.finish_reason ?? answerFinish;
  }
  assert.equal(answerFinish, 'stop');
  assert.match(answer, /\d/, answer); // exact quoting of the result is ToolModelHeldoutTest's measurement
});

await step('chat completions: response_format json_schema constrains the reply', async () => {
  const schema = {
    type: 'object',
    properties: {
      book: { type: 'string', enum: ['Genesis', 'Exodus', 'Psalms'] },
      chapter: { type: 'integer', minimum: 1, maximum: 150 },
      verses: { type: 'array', items: { type: 'string', maxLength: 12 }, minItems: 1, maxItems: 2 },
    },
    required: ['book', 'chapter', 'verses'],
    additionalProperties: false,
  };
  for (const seed of [1, 2, 3]) {
    const reply = await client.chat.completions.create({
      model: DECODER,
      messages: [{ role: 'user', content: 'Name a passage' }],
      max_tokens: 120,
      temperature: 1,
      seed,
      response_format: { type: 'json_schema', json_schema: { name: 'passage', schema, strict: true } },
    });
    assert.equal(reply.choices[0].finish_reason, 'stop');
    const value = JSON.parse(reply.choices[0].message.content);
    assert.deepEqual(Object.keys(value), ['book', 'chapter', 'verses']);
    assert.ok(schema.properties.book.enum.includes(value.book), value.book);
    assert.ok(Number.isInteger(value.chapter) && value.chapter >= 1 && value.chapter <= 150, `${value.chapter}`);
    assert.ok(Array.isArray(value.verses) && value.verses.length >= 1 && value.verses.length <= 2);
    assert.ok(value.verses.every((v) => typeof v === 'string' && v.length <= 12), JSON.stringify(value.verses));
  }
  await assert.rejects(
    client.chat.completions.create({
      model: DECODER,
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'object', not: {} } } },
    }),
    (err) => {
      assert.equal(err.status, 400);
      assert.equal(err.error.param, 'response_format.json_schema.schema');
      return true;
    });
});

await step('errors: an unknown model is an APIError in the OpenAI shape', async () => {
  await assert.rejects(
    client.completions.create({ model: 'no-such-model', prompt: 'x', max_tokens: 1 }),
    (err) => {
      assert.ok(err instanceof OpenAI.APIError, `APIError, got ${err?.constructor?.name}: ${err}`);
      assert.ok([400, 404].includes(err.status), `status ${err.status}`);
      assert.equal(typeof err.error?.message, 'string');
      assert.ok(err.error.message.includes('no-such-model'), err.error.message);
      assert.equal(typeof err.error.type, 'string');
      assert.ok('param' in err.error && 'code' in err.error, JSON.stringify(err.error));
      return true;
    });
});

await step('models.list', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    assert.equal(model.object, 'model');
    ids.push(model.id);
  }
  assert.ok(ids.includes(EMBEDDER), `models: ${ids}`);
  assert.ok(ids.includes(DECODER), `models: ${ids}`);
});

console.log('openai client: all checks passed');
