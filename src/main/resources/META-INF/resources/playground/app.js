// The playground page: the API key field, the model table from GET /models, and one panel per served task.

import { apiKey, getJson, setApiKey } from './api.js';
import { h } from './dom.js';
import { PANELS } from './panels.js';

const table = document.querySelector('#models tbody');
const modelsNote = document.querySelector('#models-note');
const panelsBox = document.querySelector('#panels');
const keyInput = document.querySelector('#api-key');
const built = new Map();
let timer = null;

function row(m) {
  const batching = m.batching
    ? `batch ${m.batching.batch_size} · queue ${m.queue_depth ?? 0}/${m.batching.job_queue_size}` : '';
  return h('tr', { 'data-model': m.id },
    h('td', {}, h('code', {}, m.id)),
    h('td', {}, h('span', { class: `badge ${m.status.toLowerCase()}` }, m.status)),
    h('td', {}, m.task ?? '—'),
    h('td', {}, m.family ?? '—'),
    h('td', {}, m.workers ?? '—'),
    h('td', { class: 'muted' }, m.status === 'FAILED' ? (m.reason ?? '') : batching));
}

function showPanels(models) {
  const byTask = new Map();
  for (const m of models) {
    if (m.task && PANELS[m.task]) byTask.set(m.task, [...(byTask.get(m.task) ?? []), m]);
  }
  for (const task of Object.keys(PANELS)) {
    const choices = byTask.get(task);
    if (!choices) {
      built.get(task)?.element.remove();
      built.delete(task);
      continue;
    }
    if (!built.has(task)) built.set(task, PANELS[task]());
    built.get(task).setModels(choices);
    panelsBox.append(built.get(task).element); // keeps PANELS order; moving a node keeps its state
  }
  document.querySelector('#panels-note').hidden = built.size > 0;
}

async function refresh() {
  clearTimeout(timer);
  try {
    const models = await getJson('/models');
    table.replaceChildren(...models.map(row));
    modelsNote.textContent = models.length ? '' : 'No model folders were found in the models directory.';
    modelsNote.classList.remove('error');
    showPanels(models);
    document.body.dataset.models = 'loaded';
    // Models load in the background after start: look again until none is LOADING.
    if (models.some((m) => m.status === 'LOADING')) timer = setTimeout(refresh, 2000);
  } catch (e) {
    modelsNote.textContent = `Could not list the models: ${e.message}`;
    modelsNote.classList.add('error');
    document.body.dataset.models = 'failed';
  }
}

keyInput.value = apiKey();
document.querySelector('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setApiKey(keyInput.value);
  refresh();
});
document.querySelector('#refresh').addEventListener('click', refresh);
refresh();
