// Hugging Face's @huggingface/inference client against a running slm-serve, used as with a TGI/TEI endpoint:
// InferenceClient with endpointUrl = the server's root. textGeneration and textGenerationStream (they POST
// /v1/completions with model = the endpoint URL), featureExtraction (POST / with inputs), chatCompletion (plain and
// streamed). Each answer is compared with the same request sent with fetch to the native or OpenAI route.
// Usage: node hf-client.mjs BASE_URL (e.g. http://localhost:8080). HfInferenceClientTest runs it.
import assert from 'node:assert/strict';
import { InferenceClient } from '@huggingface/inference';

const base = process.argv[2]?.replace(/\/+$/, '');
assert.ok(base, 'usage: node hf-client.mjs BASE_URL');
const client = new InferenceClient(undefined, { endpointUrl: base });
const texts = ['The cat sits on the mat.', 'A dog plays in the park.'];

async function post(path, body) {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

async function step(name, fn) {
  await fn();
  console.log(`ok ${name}`);
}

await step('textGeneration equals greedy /generate', async () => {
  const out = await client.textGeneration({
    inputs: 'In the beginning',
    parameters: { max_new_tokens: 16, temperature: 0 },
  });
  const direct = await post('/generate', { model: 'nano-gpt', inputs: 'In the beginning',
    parameters: { max_new_tokens: 16 } });
  assert.ok(direct.generated_text.length > 0, 'non-empty generation');
  assert.equal(out.generated_text, direct.generated_text);
});

await step('textGenerationStream adds up to the same text', async () => {
  const direct = await post('/generate', { model: 'nano-gpt', inputs: 'The LORD is my shepherd',
    parameters: { max_new_tokens: 16 } });
  let streamed = '';
  let events = 0;
  for await (const event of client.textGenerationStream({
    inputs: 'The LORD is my shepherd',
    parameters: { max_new_tokens: 16, temperature: 0 },
  })) {
    events++;
    // The client yields the endpoint's events as they are: here OpenAI text_completion chunks.
    for (const choice of event.choices ?? []) {
      streamed += choice.text ?? '';
    }
  }
  assert.ok(events > 1, `several events (${events})`);
  assert.equal(streamed, direct.generated_text);
});

await step('featureExtraction on POST / equals /embed', async () => {
  // Several bundled models take a bare {inputs}; normalize (a field only embedding takes) picks the embedder.
  const vectors = await client.featureExtraction({ inputs: texts, normalize: true });
  const direct = await post('/embed', { model: 'all-minilm-l6-v2', inputs: texts, normalize: true });
  assert.equal(vectors.length, texts.length);
  for (let i = 0; i < texts.length; i++) {
    assert.equal(vectors[i].length, 384);
    for (let d = 0; d < 384; d++) {
      assert.ok(Math.abs(vectors[i][d] - direct[i][d]) <= 1e-6, `vector ${i} dim ${d}`);
    }
  }
  const one = await client.featureExtraction({ inputs: texts[0], normalize: true });
  assert.equal(one.length, 1, 'a string input answers one vector, as TEI');
  assert.equal(one[0].length, 384);
});

await step('featureExtraction with only inputs is a 400 naming the candidates', async () => {
  await assert.rejects(client.featureExtraction({ inputs: texts[0] }), (err) => {
    assert.equal(err.httpResponse?.status, 400, `status: ${err}`);
    return true;
  });
  const response = await fetch(base + '/', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: texts[0] }),
  });
  const problem = await response.json();
  assert.equal(response.status, 400);
  for (const model of ['all-minilm-l6-v2', 'nano-bert-testament']) {
    assert.ok(problem.detail.includes(model), problem.detail);
  }
});

await step('chatCompletion, plain and streamed, equals /v1/chat/completions', async () => {
  const request = { messages: [{ role: 'user', content: 'Blessed are the meek' }], max_tokens: 16, temperature: 0 };
  const out = await client.chatCompletion(request);
  const direct = await post('/v1/chat/completions', { model: 'nano-gpt', ...request });
  const content = direct.choices[0].message.content;
  assert.ok(content.length > 0, 'non-empty reply');
  assert.equal(out.choices[0].message.content, content);
  assert.equal(out.model, 'nano-gpt', 'the endpoint URL sent as model names no model');
  let streamed = '';
  for await (const chunk of client.chatCompletionStream(request)) {
    streamed += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(streamed, content);
});

console.log('hf client: all checks passed');
