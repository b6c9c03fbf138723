// HTTP calls to this server: the API key (kept in this browser's localStorage), JSON requests, server-sent
// event streams, and readable messages for every error shape the server answers with.

const KEY_STORE = 'slm-serve.api-key';

export function apiKey() {
  return localStorage.getItem(KEY_STORE) || '';
}

export function setApiKey(key) {
  if (key) {
    localStorage.setItem(KEY_STORE, key.trim());
  } else {
    localStorage.removeItem(KEY_STORE);
  }
}

/** An error with the server's own message, the HTTP status and the request id (X-Request-Id). */
export class ApiError extends Error {
  constructor(message, status, requestId) {
    super(message);
    this.status = status;
    this.requestId = requestId;
  }
}

function headers(json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/** The message of a problem+json body, an OpenAI error body, or the raw text. */
function messageOf(status, text) {
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: fall through to the text itself
  }
  const detail = body && (body.error?.message || body.detail || body.title || body.message);
  const hint = status === 401 ? ' (set the API key at the top of the page)' : '';
  return `${status}: ${detail || text || 'no response body'}${hint}`;
}

async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`the server could not be reached (${e.message})`, 0, null);
  }
  if (!response.ok) {
    throw new ApiError(messageOf(response.status, await response.text()), response.status,
      response.headers.get('X-Request-Id'));
  }
  return response;
}

export async function getJson(path) {
  return (await send('GET', path)).json();
}

export async function postJson(path, body) {
  return (await send('POST', path, body)).json();
}

/**
 * POSTs and reads the answer as server-sent events, calling onData with each parsed `data:` payload as it
 * arrives, until `data: [DONE]` or the end of the stream. An `{"error": ...}` event becomes an ApiError.
 */
export async function postStream(path, body, onData) {
  const response = await send('POST', path, body);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const parsed = JSON.parse(data);
        if (parsed.error) {
          throw new ApiError(parsed.error.message || JSON.stringify(parsed.error), response.status,
            response.headers.get('X-Request-Id'));
        }
        onData(parsed);
      }
    }
  }
}
