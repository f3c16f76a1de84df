// Smoke test of the aigw gateway with the official `openai` SDK as the client.
//
//   AIGW_BASE_URL=http://127.0.0.1:1990/v1 node t/sdk/openai-smoke.mjs
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails.
// The expectations are those of the mock upstreams t/900-openai-sdk.t puts behind the gateway:
//   AIGW_BASE_URL       gateway whose channel is the OpenAI mock (answers by model name)
//   AIGW_DOWN_BASE_URL  gateway whose channel has nothing listening       (checks skipped if unset)
//   AIGW_CUT_BASE_URL   gateway whose upstream cuts a chunked SSE stream   (checks skipped if unset)
//   AIGW_ROUTED_BASE_URL gateway with a model table (checks skipped if unset):
//                          smart        -> the mock as gpt-4o-mini (renamed back to smart)
//                          smart-stream -> the mock as mock-stream
//                          gpt-4o-mini  -> a dead channel first, then the mock (fallback)
//                          all-down     -> only the dead channel
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import OpenAI, {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';

import { startTap } from './tap.mjs';

const BASE_URL = process.env.AIGW_BASE_URL;
const DOWN_BASE_URL = process.env.AIGW_DOWN_BASE_URL;
const CUT_BASE_URL = process.env.AIGW_CUT_BASE_URL;
const ROUTED_BASE_URL = process.env.AIGW_ROUTED_BASE_URL;
const BILLING_BASE_URL = process.env.AIGW_BILLING_BASE_URL;

if (!BASE_URL) {
  console.log('Bail out! AIGW_BASE_URL is not set (e.g. http://127.0.0.1:1990/v1)');
  process.exit(2);
}

const { check, skip, thrown, describe, done } = startTap({ APIError });

const clientFor = (baseURL) =>
  new OpenAI({ baseURL, apiKey: 'sk-test', maxRetries: 0, timeout: 10000 });
const client = clientFor(BASE_URL);

// The checks every API error from the gateway must pass: the SDK class, the status, an
// OpenAI error object, and the gateway's request id.
function assertApiError(e, Class, status) {
  assert.ok(
    e instanceof Class,
    `expected ${Class.name}, got ${e?.constructor?.name}: ${describe(e)}`,
  );
  assert.equal(e.status, status, 'err.status');
  assert.equal(typeof e.error, 'object', 'err.error is the OpenAI error object');
  assert.ok(e.error !== null, 'err.error is not null');
  assert.equal(typeof e.error.message, 'string', 'err.error.message');
  assert.ok(e.error.message.length > 0, 'err.error.message is not empty');
  assert.equal(typeof e.requestID, 'string', 'err.requestID (x-request-id) is set');
  assert.ok(e.requestID.length > 0, 'err.requestID is not empty');
  assert.equal(e.requestID, e.headers.get('x-request-id'));
}

// What the mocks send.
const UPSTREAM_REQUEST_ID = 'req_mockupstream0001';
const CHAT_CONTENT = 'Hello, "wörld"! ✓\nBye.';
const CHAT_USAGE = {
  prompt_tokens: 19,
  completion_tokens: 10,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const STREAM_DELTAS = ['', 'Hel', 'lo, ', '"wörld"', '! ✓\nBye.', undefined];
const STREAM_USAGE = { ...CHAT_USAGE, prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const EMBEDDINGS = [
  [0.5, -1.25, 3, 0.125],
  [-0.5, 2, 0.25, -4],
];
const messages = [{ role: 'user', content: 'Say hello to the wörld ✓' }];

// ---------------------------------------------------------------------------
// Successful calls

await check('chat: non-streaming completion with the content and usage the upstream sent', async () => {
  const c = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
  assert.equal(c.id, 'chatcmpl-AIGWmock0001');
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(c.system_fingerprint, 'fp_aigwmock01');
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.equal(c.choices[0].message.content, CHAT_CONTENT);
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(c.usage, CHAT_USAGE);
  assert.equal(typeof c._request_id, 'string', '_request_id');
  assert.ok(c._request_id.length > 0, '_request_id is not empty');
});

await check('chat: x-request-id is one id, the gateway\'s, not the upstream\'s', async () => {
  const { data, response, request_id } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages })
    .withResponse();
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(typeof request_id, 'string');
  assert.ok(request_id.length > 0, 'request id is not empty');
  assert.equal(data._request_id, request_id);
  assert.doesNotMatch(request_id, /,/, 'one x-request-id header, not several');
  assert.notEqual(request_id, UPSTREAM_REQUEST_ID);
  console.log(`# gateway request id ${request_id}, `
    + `x-upstream-request-id ${response.headers.get('x-upstream-request-id')}`);
});

let streamed; // { chunks, times, response, error }
await check('chat stream: served as text/event-stream with an x-request-id', async () => {
  const { data: stream, response, request_id } = await client.chat.completions
    .create({ model: 'mock-stream', messages, stream: true, stream_options: { include_usage: true } })
    .withResponse();
  streamed = { chunks: [], times: [], response };
  try {
    for await (const chunk of stream) {
      streamed.chunks.push(chunk);
      streamed.times.push(performance.now());
    }
  } catch (e) {
    streamed.error = e;
  }
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream\b/);
  assert.equal(typeof request_id, 'string');
  assert.ok(request_id.length > 0, 'request id is not empty');
});

await check('chat stream: every chunk, in order, and [DONE] ends the iteration cleanly', async () => {
  assert.ok(streamed, 'the stream request did not complete');
  if (streamed.error) throw streamed.error;
  const { chunks } = streamed;
  const deltas = chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0].delta.content);
  assert.deepEqual(deltas, STREAM_DELTAS);
  assert.equal(chunks.length, STREAM_DELTAS.length + 1, 'chunks, with the usage chunk');
  for (const c of chunks) {
    assert.equal(c.id, 'chatcmpl-AIGWstream01');
    assert.equal(c.object, 'chat.completion.chunk');
  }
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[STREAM_DELTAS.length - 1].choices[0].finish_reason, 'stop');
  for (const c of chunks.slice(0, -2)) {
    assert.equal(c.choices[0].finish_reason, null);
  }
});

await check('chat stream: the concatenated content is exact', async () => {
  assert.ok(streamed && !streamed.error, 'the stream did not complete');
  const text = streamed.chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, CHAT_CONTENT);
});

await check('chat stream: the final usage chunk (stream_options.include_usage) arrives as sent', async () => {
  assert.ok(streamed && !streamed.error, 'the stream did not complete');
  const last = streamed.chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, STREAM_USAGE);
  for (const c of streamed.chunks.slice(0, -1)) {
    assert.equal(c.usage, null, 'usage is null before the last chunk');
  }
});

await check('chat stream: chunks arrive as the upstream sends them (not buffered)', async () => {
  assert.ok(streamed && !streamed.error, 'the stream did not complete');
  // The mock pauses 0.6 s after the third chunk.
  const gap = streamed.times[3] - streamed.times[2];
  assert.ok(gap >= 300, `the third and fourth chunks arrived ${gap.toFixed(0)} ms apart; `
    + 'the upstream sent them 600 ms apart');
});

await check('embeddings: SDK default encoding (base64) decodes to the vectors sent', async () => {
  const r = await client.embeddings.create({
    model: 'text-embedding-3-small', input: ['hello', 'wörld'], dimensions: 4,
  });
  assert.equal(r.object, 'list');
  assert.equal(r.model, 'text-embedding-3-small');
  assert.equal(r.data.length, 2);
  r.data.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.equal(d.embedding.length, 4, 'dimensions');
    assert.deepEqual(Array.from(d.embedding), EMBEDDINGS[i]);
  });
  assert.deepEqual(r.usage, { prompt_tokens: 2, total_tokens: 2 });
});

await check('embeddings: encoding_format "float" returns the vectors as sent', async () => {
  const r = await client.embeddings.create({
    model: 'text-embedding-3-small', input: ['hello', 'wörld'], dimensions: 4, encoding_format: 'float',
  });
  assert.equal(r.data.length, 2);
  r.data.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.ok(Array.isArray(d.embedding), 'a JSON array');
    assert.equal(d.embedding.length, 4, 'dimensions');
    assert.deepEqual(d.embedding, EMBEDDINGS[i]);
  });
});

await check('completions (legacy): text and usage', async () => {
  const r = await client.completions.create({
    model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7,
  });
  assert.equal(r.id, 'cmpl-AIGWmock0002');
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, '\n\nThis is indeed a test');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
});

await check('models.list: every model id, in order', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.deepEqual(ids, ['gpt-4o-mini', 'text-embedding-3-small', 'ft:gpt-4o-mini:aigw::mock01']);
});

await check('models.retrieve: the model object', async () => {
  const m = await client.models.retrieve('gpt-4o-mini');
  assert.deepEqual({ ...m }, {
    id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system',
  });
  assert.ok(m._request_id, '_request_id');
});

// ---------------------------------------------------------------------------
// Errors

await check('upstream 401 JSON -> AuthenticationError with the upstream\'s message', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'mock-401', messages }));
  assertApiError(e, AuthenticationError, 401);
  assert.equal(e.error.message, 'Incorrect API key provided: sk-upstr*****1234. You can find your '
    + 'API key at https://platform.openai.com/account/api-keys.');
  assert.equal(e.code, 'invalid_api_key');
  assert.equal(e.type, 'invalid_request_error');
});

await check('upstream 429 JSON -> RateLimitError with the upstream\'s message', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'mock-429', messages }));
  assertApiError(e, RateLimitError, 429);
  assert.match(e.error.message, /^Rate limit reached for gpt-4o-mini in organization org-aigwmock/);
  assert.equal(e.code, 'rate_limit_exceeded');
  assert.equal(e.type, 'requests');
});

await check('upstream 429 JSON to a stream request -> RateLimitError before any chunk', async () => {
  const e = await thrown(async () => {
    const stream = await client.chat.completions.create({ model: 'mock-429', messages, stream: true });
    for await (const chunk of stream) {
      assert.fail(`a chunk was yielded: ${JSON.stringify(chunk)}`);
    }
  });
  assertApiError(e, RateLimitError, 429);
  assert.equal(e.code, 'rate_limit_exceeded');
});

await check('upstream 404 model_not_found JSON -> NotFoundError', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'no-such-model', messages }));
  assertApiError(e, NotFoundError, 404);
  assert.equal(e.code, 'model_not_found');
  assert.equal(e.error.message,
    'The model `no-such-model` does not exist or you do not have access to it.');
});

await check('models.retrieve of an unknown model -> NotFoundError (upstream model_not_found)', async () => {
  const e = await thrown(() => client.models.retrieve('no-such-model'));
  assertApiError(e, NotFoundError, 404);
  assert.equal(e.code, 'model_not_found');
  assert.equal(e.param, 'model');
  assert.equal(e.error.message, "The model 'no-such-model' does not exist");
});

await check('gateway 404 for an unknown API path -> NotFoundError, code unknown_url', async () => {
  const e = await thrown(() => client.get('/no-such-endpoint'));
  assertApiError(e, NotFoundError, 404);
  assert.equal(e.code, 'unknown_url');
});

await check('gateway 405 for GET on chat/completions -> APIError status 405', async () => {
  const e = await thrown(() => client.get('/chat/completions'));
  assertApiError(e, APIError, 405);
  assert.equal(e.code, 'method_not_allowed');
});

await check('gateway 400 for a request without a model -> BadRequestError', async () => {
  const e = await thrown(() => client.chat.completions.create({ messages }));
  assertApiError(e, BadRequestError, 400);
  assert.equal(e.param, 'model');
});

await check('gateway 400 for a body that is not JSON -> BadRequestError, code invalid_json', async () => {
  const e = await thrown(() => client.post('/chat/completions', {
    body: '{"model": "gpt-4o-mini", "messages": [',
    headers: { 'content-type': 'application/json' },
  }));
  assertApiError(e, BadRequestError, 400);
  assert.equal(e.code, 'invalid_json');
});

await check('upstream HTML 500 -> InternalServerError status 502 with an OpenAI error body', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'mock-html-500', messages }));
  assertApiError(e, InternalServerError, 502);
});

await check('upstream timeout -> InternalServerError status 504', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'mock-slow', messages }));
  assertApiError(e, InternalServerError, 504);
});

if (DOWN_BASE_URL) {
  await check('upstream unreachable -> InternalServerError 502, code upstream_unreachable', async () => {
    const down = clientFor(DOWN_BASE_URL);
    const e = await thrown(() => down.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    assertApiError(e, InternalServerError, 502);
    assert.equal(e.error.code, 'upstream_unreachable');
    assert.equal(e.code, 'upstream_unreachable');
  });
} else {
  skip('upstream unreachable -> InternalServerError 502', 'AIGW_DOWN_BASE_URL is not set');
}

// A stream the upstream cuts: the SDK yields what arrived, then throws the APIError of the
// gateway's `event: error` (not a network error, not a clean end).
async function cutStream(model) {
  const cut = clientFor(CUT_BASE_URL);
  const stream = await cut.chat.completions.create({ model, messages, stream: true });
  const deltas = [];
  let error;
  try {
    for await (const chunk of stream) {
      deltas.push(chunk.choices[0]?.delta?.content);
    }
  } catch (e) {
    error = e;
  }
  return { deltas, error };
}

function assertCutError(error) {
  assert.ok(error, 'the iteration ended without an error');
  assert.ok(error instanceof APIError && !(error instanceof APIConnectionError),
    `expected the APIError of an SSE error event, got ${error?.constructor?.name}: ${describe(error)}`);
  assert.equal(typeof error.error, 'object');
  assert.ok(error.error !== null, 'err.error is not null');
  assert.equal(typeof error.error.message, 'string');
  assert.ok(error.error.message.length > 0, 'err.error.message is not empty');
  console.log(`# stream error: ${JSON.stringify(error.error)}`);
}

if (CUT_BASE_URL) {
  await check('stream cut by the upstream between events -> chunks, then APIError', async () => {
    const { deltas, error } = await cutStream('cut-boundary');
    assert.deepEqual(deltas, ['Hel', 'lo'], 'the chunks that arrived before the cut');
    assertCutError(error);
  });
  await check('stream cut by the upstream inside an event -> chunks, then APIError', async () => {
    const { deltas, error } = await cutStream('cut-midevent');
    assert.deepEqual(deltas, ['Hel'], 'the whole chunks that arrived before the cut');
    assertCutError(error);
  });
} else {
  skip('stream cut by the upstream between events', 'AIGW_CUT_BASE_URL is not set');
  skip('stream cut by the upstream inside an event', 'AIGW_CUT_BASE_URL is not set');
}

// ---------------------------------------------------------------------------
// A model table in front of the same mock: public names, fallback, the stream a client gets
// when the gateway asked for usage and the client did not.

if (ROUTED_BASE_URL) {
  const routed = clientFor(ROUTED_BASE_URL);
  await check('routed: the answer names the public model, the content as the upstream sent it', async () => {
    const r = await routed.chat.completions.create({ model: 'smart', messages });
    assert.equal(r.model, 'smart');
    assert.equal(r.choices[0].message.content, CHAT_CONTENT);
    assert.equal(r.usage.total_tokens, 29);
  });
  await check('routed stream without stream_options: every chunk names the public model, no usage anywhere', async () => {
    const stream = await routed.chat.completions.create({ model: 'smart-stream', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta?.content), STREAM_DELTAS);
    for (const c of chunks) {
      assert.equal(c.model, 'smart-stream');
      assert.ok(!('usage' in c), `a chunk has a usage member: ${JSON.stringify(c.usage)}`);
    }
  });
  await check('routed: a dead first channel falls back to the next, the client sees one answer', async () => {
    const r = await routed.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.equal(r.choices[0].message.content, CHAT_CONTENT);
  });
  await check('routed: every channel down -> InternalServerError 502, code all_channels_failed', async () => {
    const e = await thrown(() => routed.chat.completions.create({ model: 'all-down', messages }));
    assertApiError(e, InternalServerError, 502);
    assert.equal(e.code, 'all_channels_failed');
    assert.ok(!/sdk_dead|127\.0\.0\.1|_aigw/.test(e.error.message), `internal names in: ${e.error.message}`);
  });
  await check('routed: a model the table does not serve -> NotFoundError, code model_not_found', async () => {
    const e = await thrown(() => routed.chat.completions.create({ model: 'gpt-5x', messages }));
    assertApiError(e, NotFoundError, 404);
    assert.equal(e.code, 'model_not_found');
    assert.equal(e.error.message, 'The model `gpt-5x` does not exist or you do not have access to it.');
  });
  await check('routed: models.list gives the public names, in table order', async () => {
    const ids = [];
    for await (const m of routed.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['smart', 'smart-stream', 'gpt-4o-mini', 'all-down']);
    const m = await routed.models.retrieve('smart');
    assert.equal(m.id, 'smart');
    assert.equal(m.object, 'model');
  });
} else {
  skip('routed checks', 'AIGW_ROUTED_BASE_URL is not set');
}

// ---------------------------------------------------------------------------
// Billing: what a client over its quota or its rate limit sees, with the SDK's own retries on.

if (BILLING_BASE_URL) {
  // Counts the HTTP requests the SDK really sends, retries included.
  let sent = 0;
  const counting = (key) => new OpenAI({
    baseURL: BILLING_BASE_URL, apiKey: key, maxRetries: 2, timeout: 10000,
    fetch: (url, init) => { sent += 1; return fetch(url, init); },
  });
  const quota = counting(process.env.AIGW_QUOTA_KEY);
  await check('billing: a request the quota covers is served', async () => {
    const r = await quota.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.equal(r.choices[0].message.content, CHAT_CONTENT);
  });
  await check('billing: over the quota -> APIError 402 insufficient_quota, not retried', async () => {
    sent = 0;
    const e = await thrown(() => quota.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    assertApiError(e, APIError, 402);
    assert.equal(e.code, 'insufficient_quota');
    assert.equal(e.type, 'insufficient_quota');
    assert.equal(sent, 1, 'the SDK sent the request once');
  });
  const rpm = counting(process.env.AIGW_RPM_KEY);
  await check('billing: under the rpm limit, x-ratelimit-* headers come with the answer', async () => {
    const { data, response } = await rpm.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    assert.equal(data.choices[0].message.content, CHAT_CONTENT);
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '1');
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.match(response.headers.get('x-ratelimit-reset-requests') ?? '', /^[0-9.]+(ms|s)$|^\d+m[0-9.]+s$/);
  });
  await check('billing: over the rpm limit -> RateLimitError 429 rate_limit_exceeded with Retry-After', async () => {
    const noRetry = new OpenAI({ baseURL: BILLING_BASE_URL, apiKey: process.env.AIGW_RPM_KEY, maxRetries: 0 });
    const e = await thrown(() => noRetry.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    assertApiError(e, RateLimitError, 429);
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.type, 'requests');
    const after = Number(e.headers.get('retry-after'));
    assert.ok(after >= 1 && after <= 60, `retry-after ${after}`);
  });
} else {
  skip('billing checks', 'AIGW_BILLING_BASE_URL is not set');
}

done();
