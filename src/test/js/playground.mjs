// Drives the playground page in Debian's headless Chromium, as a person would, against a running server:
//
//   node src/test/js/playground.mjs http://localhost:8080 target/playground.png
//
// Checks: the model list shows; the API key field sends Authorization: Bearer; a streamed completion on nano-gpt
// grows on the page in several steps before it completes; the embeddings panel shows a similarity; a bad input
// shows the server's error; nothing is loaded from outside the server. Saves a screenshot. Exit 0 = passed.
// CHROMIUM=/path overrides the browser (default /usr/bin/chromium); no browser is ever downloaded.
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, screenshot = 'target/playground.png'] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base) fail('usage: node playground.mjs BASE_URL [SCREENSHOT.png]');
if (!existsSync(executablePath)) fail(`no Chromium at ${executablePath} (apt-get install -y chromium)`);

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok - ${message}`);
}

const origin = new URL(base).origin;
const profile = mkdtempSync(join(tmpdir(), 'slm-playground-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
const outside = [];
const pageErrors = [];
const authHeaders = [];
page.on('request', (request) => {
  const url = request.url();
  if (!url.startsWith('data:') && new URL(url).origin !== origin) outside.push(url);
  if (url.endsWith('/models')) authHeaders.push(request.headers().authorization || '');
});
page.on('pageerror', (e) => pageErrors.push(e.message));

try {
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-models="loaded"]', { timeout: 20000 });
  const rows = await page.$$eval('#models tbody tr', (trs) => trs.map((tr) => tr.innerText));
  check(rows.some((r) => r.includes('nano-gpt') && r.includes('READY')), 'the model list shows nano-gpt READY');
  check(rows.some((r) => r.includes('all-minilm-l6-v2') && r.includes('text-embedding')),
    'the model list shows all-minilm-l6-v2 with its task');

  // The key field: every API call then carries it.
  await page.fill('#api-key', 'playground-test-key');
  await page.click('#key-form button');
  await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length > 0);
  await page.waitForTimeout(300);
  check(authHeaders.includes('Bearer playground-test-key'), 'the API key is sent as Authorization: Bearer');
  await page.fill('#api-key', '');
  await page.click('#key-form button');

  const gen = '#panel-text-generation';
  await page.selectOption(`${gen} select[name=model]`, 'nano-gpt');
  // Chat, streamed: the deltas of /v1/chat/completions end up in the same place.
  await page.selectOption(`${gen} select[name=mode]`, 'chat');
  await page.fill(`${gen} input[name=max_tokens]`, '12');
  // Greedy: sampled at the default 0.8, nano-gpt ends the answer at once about one time in twenty (its
  // <|endoftext|> has probability ~0.06 after this prompt), which would leave nothing to show.
  await page.fill(`${gen} input[name=temperature]`, '0');
  await page.click(`${gen} button.run`);
  await page.waitForSelector(`${gen}[data-state="done"], ${gen}[data-state="failed"]`, { timeout: 60000 });
  const chatText = await page.$eval(`${gen} .generated`, (e) => e.textContent);
  check(await page.getAttribute(gen, 'data-state') === 'done' && chatText.length > 0,
    `a streamed chat answer shows (${JSON.stringify(chatText.slice(0, 40))})`);

  // Streaming: record the generated text's length at every change while the request runs.
  await page.fill(`${gen} input[name=temperature]`, '0.8');
  await page.selectOption(`${gen} select[name=mode]`, 'completion');
  await page.fill(`${gen} textarea[name=prompt]`, 'And God said');
  await page.fill(`${gen} input[name=max_tokens]`, '80');
  check(await page.isChecked(`${gen} input[name=stream]`), 'streaming is on by default');
  await page.evaluate((sel) => {
    const form = document.querySelector(sel);
    window.observed = [];
    new MutationObserver(() => {
      const text = form.querySelector('.generated');
      if (text && form.dataset.state === 'running') {
        const n = text.textContent.length;
        if (n > 0 && n !== window.observed.at(-1)?.n) window.observed.push({ n, t: performance.now() });
      }
    }).observe(form, { subtree: true, childList: true, characterData: true });
  }, gen);
  await page.click(`${gen} button.run`);
  await page.waitForSelector(`${gen}[data-state="done"], ${gen}[data-state="failed"]`, { timeout: 60000 });
  const genError = await page.$eval(`${gen} .error`, (e) => (e.hidden ? '' : e.textContent));
  check(genError === '', `the completion finished without error ${genError}`);
  const observed = await page.evaluate(() => window.observed);
  const finalText = await page.$eval(`${gen} .generated`, (e) => e.textContent);
  console.log(`   observed lengths while streaming: ${observed.map((o) => o.n).join(', ')}`);
  check(observed.length >= 2 && observed.every((o, i) => i === 0 || o.n > observed[i - 1].n),
    `the text grew over ${observed.length} observations before the stream completed`);
  check(finalText.length >= observed.at(-1).n && finalText.length > 0, 'the final text holds every token');
  console.log(`   status: ${await page.textContent(`${gen} .status`)}`);


  // Embeddings similarity.
  const emb = '#panel-text-embedding';
  await page.selectOption(`${emb} select[name=model]`, 'all-minilm-l6-v2');
  await page.click(`${emb} button.run`);
  await page.waitForSelector(`${emb}[data-state="done"]`, { timeout: 30000 });
  const similarity = Number(await page.textContent(`${emb} [data-role=similarity]`));
  check(similarity > 0.3 && similarity <= 1.0001, `the embeddings panel shows a cosine similarity (${similarity})`);

  // A bad input: the server's message is shown, not a stack or [object Object].
  const mask = '#panel-fill-mask';
  if (await page.$(mask)) {
    await page.fill(`${mask} input[name=inputs]`, 'no mask token here');
    await page.click(`${mask} button.run`);
    await page.waitForSelector(`${mask}[data-state="failed"]`, { timeout: 30000 });
    const message = await page.textContent(`${mask} .error`);
    check(/^4\d\d: .*mask/i.test(message), `a bad input shows the server's error: "${message}"`);
    await page.fill(`${mask} input[name=inputs]`, 'In the beginning God created the [MASK] and the earth.');
    await page.click(`${mask} button.run`);
    await page.waitForSelector(`${mask}[data-state="done"]`, { timeout: 30000 });
  }
  const cls = '#panel-text-classification';
  if (await page.$(cls)) {
    await page.click(`${cls} button.run`);
    await page.waitForSelector(`${cls}[data-state="done"]`, { timeout: 30000 });
  }

  // Seq2seq (an encoder-decoder such as nano-bart): digits in, words out.
  const s2s = '#panel-text2text-generation';
  if (await page.$(s2s)) {
    await page.fill(`${s2s} input[name=inputs]`, '4817');
    await page.click(`${s2s} button.run`);
    await page.waitForSelector(`${s2s}[data-state="done"]`, { timeout: 30000 });
    const words = await page.$eval(`${s2s} .generated`, (e) => e.textContent);
    check(words === 'four thousand eight hundred seventeen', `the seq2seq panel spells 4817 out ("${words}")`);
  }

  check(outside.length === 0, `nothing was requested outside the server ${outside.join(' ')}`);
  check(pageErrors.length === 0, `no script error on the page ${pageErrors.join(' | ')}`);
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
  console.log('playground: passed');
} catch (e) {
  try {
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  } catch {
    // the failure below matters more than the picture
  }
  console.error(`FAIL: ${e.message}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
