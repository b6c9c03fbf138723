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
