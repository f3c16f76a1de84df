// Smoke test of a Gemini API endpoint (/v1beta/models/...) with the official `@google/genai`
// SDK as the client: the mock Gemini upstream itself (t/098-gemini-sdk-mock.t), or a gateway
// in front of it.
//
//   node t/sdk/gemini-smoke.mjs --base-url http://127.0.0.1:2071 --key AIza...
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails.
// The expectations are what the mock Gemini upstream sends (t/lib/Test/AIGW/Mock/Gemini.pm),
// chosen by model name. Options (each also from the environment):
//   --base-url URL        AIGW_GEMINI_BASE_URL      httpOptions.baseUrl (the SDK adds /v1beta)
//   --key KEY             AIGW_GEMINI_KEY           the API key, sent as x-goog-api-key
//   --model NAME          AIGW_GEMINI_MODEL         a model answered with the text answer
//                                                   (default gemini-2.5-flash)
//   --upstream-model NAME AIGW_GEMINI_UPSTREAM_MODEL the name the upstream sees for --model, which
//                                                   its answer repeats (default the same)
//   --upstream-key KEY    AIGW_GEMINI_UPSTREAM_KEY  the key the upstream sees, which its answer
//                                                   repeats (default --key; a gateway sends its
//                                                   channel's)
//   --model-version NAME  AIGW_GEMINI_MODEL_VERSION the answer's modelVersion for --model (default
//                                                   --upstream-model; a gateway says the public name)
//   --key-in-query        AIGW_GEMINI_KEY_IN_QUERY=1 send the key as ?key= instead of
//                                                   x-goog-api-key (as Google's REST examples do;
//                                                   the SDK itself always sends the header)
//   --routed              AIGW_ROUTED=1             the client is a gateway with keys of its own and
//                                                   a model table that falls back on 429 and 5xx:
//                                                   those errors carry its own message (a 500 is
//                                                   its 502), a key it does not know is its 401
//                                                   UNAUTHENTICATED, and an upstream reset
//                                                   mid-stream its error chunk (502)
//   --mock-prefix PREFIX  AIGW_MOCK_PREFIX          the scenarios' model names: PREFIX + thinking,
//                                                   function, 429... (default gemini-mock-)
//   --models              AIGW_CHECK_MODELS=1       also check models.list against the mock's
//   --listed NAMES        AIGW_GEMINI_LISTED        or against these names, comma-separated: a
//                                                   gateway's list (its model table's public names)
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { ApiError, FinishReason, GoogleGenAI, BlockedReason } from '@google/genai';

import { startTap } from './tap.mjs';

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_GEMINI_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_GEMINI_KEY },
    model: { type: 'string', default: process.env.AIGW_GEMINI_MODEL ?? 'gemini-2.5-flash' },
    'upstream-model': { type: 'string', default: process.env.AIGW_GEMINI_UPSTREAM_MODEL },
    'upstream-key': { type: 'string', default: process.env.AIGW_GEMINI_UPSTREAM_KEY },
    'mock-prefix': { type: 'string', default: process.env.AIGW_MOCK_PREFIX ?? 'gemini-mock-' },
    'model-version': { type: 'string', default: process.env.AIGW_GEMINI_MODEL_VERSION },
    'key-in-query': { type: 'boolean', default: process.env.AIGW_GEMINI_KEY_IN_QUERY === '1' },
    routed: { type: 'boolean', default: process.env.AIGW_ROUTED === '1' },
    models: { type: 'boolean', default: process.env.AIGW_CHECK_MODELS === '1' },
    listed: { type: 'string', default: process.env.AIGW_GEMINI_LISTED },
  },
});

if (!opt['base-url'] || !opt.key) {
  console.log('Bail out! no --base-url or --key (or AIGW_GEMINI_BASE_URL, AIGW_GEMINI_KEY)');
  process.exit(2);
}

// ApiError has no request id or body of its own: its message is the error body's JSON.
const { check, skip, thrown, describe, done } = startTap({
  APIError: class {},
  describeOther: (e) => (e instanceof ApiError ? `ApiError ${e.status}: ${e.message}` : undefined),
});

// Every request the SDK makes, as it goes on the wire: as the SDK hands it to fetch, or with
// its key moved from x-goog-api-key to ?key= (--key-in-query).
const sent = [];
async function recordingFetch(url, init = {}) {
  const headers = new Headers(init.headers);
  let target = new URL(String(url));
  if (opt['key-in-query'] && headers.has('x-goog-api-key')) {
    target.searchParams.append('key', headers.get('x-goog-api-key'));
    headers.delete('x-goog-api-key');
  }
  sent.push({ url: target.href, method: init.method, headers, body: init.body });
  return fetch(target, { ...init, headers });
}

const ai = new GoogleGenAI({
  apiKey: opt.key,
  httpOptions: { baseUrl: opt['base-url'], timeout: 10000, fetch: recordingFetch },
});
const mock = (name) => `${opt['mock-prefix']}${name}`;
const upstreamModel = opt['upstream-model'] ?? opt.model;
const upstreamKey = opt['upstream-key'] ?? opt.key;
const modelVersion = opt['model-version'] ?? upstreamModel;
const keyParams = opt['key-in-query'] ? `key=${encodeURIComponent(opt.key)}` : '';

// ---------------------------------------------------------------------------
// What the mock sends

const TEXT = `Hello, "wörld" ✓\nmodel=${upstreamModel} key=${upstreamKey} via=x-goog-api-key`;
const USAGE = { promptTokenCount: 9, candidatesTokenCount: 21, totalTokenCount: 30 };
const THOUGHTS = '**Greeting the user**\n\nThe user wants a short hello. I will keep it brief.';
const THINKING_TEXT = 'Hi! How can I help?';
const SIGNATURE = 'CiQB0e2Kb3m+Ai/GwMockSignature0Gemini7/Bh+Q2xU4kM1w9vJrRWwKZAHR0e2Kb0Mk+aigw/mock==';
const ERRORS = {
  400: ['INVALID_ARGUMENT', /^Request contains an invalid argument\.$/],
  404: ['NOT_FOUND', /is not found for API version v1beta/],
  429: ['RESOURCE_EXHAUSTED', /^You exceeded your current quota/],
  500: ['INTERNAL', /^An internal error has occurred/],
  503: ['UNAVAILABLE', /^The model is overloaded/],
};
// A gateway that falls back on 429 and 5xx answers, once no channel is left, with its own
// message, the last status (a 500 is its 502, the channel behind it failed) and Google's
// status word for it; 400 and 404 pass on as Google wrote them.
const STATUS = { 500: 502 };
if (opt.routed) {
  for (const status of [429, 500, 503]) {
    ERRORS[status][1] = new RegExp(`^The upstream channel tried for model \`${mock(status)}\` failed; `
      + `the last answered HTTP ${status}\\.$`);
  }
}
const statusOf = (status) => (opt.routed ? (STATUS[status] ?? Number(status)) : Number(status));

const contents = 'Say hello.';
const weatherTool = {
  functionDeclarations: [{
    name: 'get_weather',
    description: 'The current weather in a city.',
    parametersJsonSchema: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city'],
    },
  }],
};
const counts = (u, names) => Object.fromEntries(names.map((n) => [n, u?.[n]]));
const thoughtText = (r) => (r.candidates?.[0]?.content?.parts ?? []).filter((p) => p.thought).map((p) => p.text).join('');

// The Google error inside an ApiError: its message is the body's JSON (after "got status: ...
// ." for an error chunk of a stream).
function googleError(e) {
  assert.ok(e instanceof ApiError, `expected an ApiError, got ${describe(e)}`);
  return JSON.parse(e.message.replace(/^got status: \w+\. /, '')).error;
}

async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

// ---------------------------------------------------------------------------
// Text, the key, the stream, countTokens

await check('generateContent: the text, finishReason STOP, usageMetadata, modelVersion, responseId', async () => {
  const r = await ai.models.generateContent({ model: opt.model, contents });
  assert.equal(r.text, TEXT);
  assert.equal(r.candidates[0].finishReason, FinishReason.STOP);
  assert.equal(r.candidates[0].content.role, 'model');
  assert.deepEqual(counts(r.usageMetadata, Object.keys(USAGE)), USAGE);
  assert.deepEqual(r.usageMetadata.promptTokensDetails, [{ modality: 'TEXT', tokenCount: 9 }]);
  assert.equal(r.modelVersion, modelVersion);
  assert.match(r.responseId, /^\S+$/);
});

await check(`the key goes as ${opt['key-in-query'] ? '?key=' : 'x-goog-api-key'} and nowhere else; `
  + 'the path is /v1beta/models/MODEL:generateContent', async () => {
  const req = sent.at(-1);
  const url = new URL(req.url);
  assert.equal(url.pathname, `/v1beta/models/${opt.model}:generateContent`);
  assert.equal(url.search, keyParams && `?${keyParams}`);
  assert.equal(req.headers.get('x-goog-api-key'), opt['key-in-query'] ? null : opt.key);
  assert.equal(req.headers.get('authorization'), null);
  assert.equal(req.method, 'POST');
  assert.deepEqual(JSON.parse(req.body).contents, [{ role: 'user', parts: [{ text: contents }] }]);
});

await check('generateContentStream: chunks add up to the text, usage cumulative, the last complete, modelVersion in each', async () => {
  const chunks = await collect(await ai.models.generateContentStream({ model: opt.model, contents }));
  assert.equal(chunks.length, 3);
  assert.equal(chunks.map((c) => c.text).join(''), TEXT);
  assert.deepEqual(chunks.map((c) => c.candidates[0].finishReason), [undefined, undefined, FinishReason.STOP]);
  assert.deepEqual(chunks.slice(0, -1).map((c) => counts(c.usageMetadata, ['promptTokenCount', 'candidatesTokenCount'])),
    [{ promptTokenCount: 9, candidatesTokenCount: undefined }, { promptTokenCount: 9, candidatesTokenCount: undefined }]);
  assert.deepEqual(counts(chunks.at(-1).usageMetadata, Object.keys(USAGE)), USAGE);
  assert.deepEqual(chunks.map((c) => c.modelVersion), [modelVersion, modelVersion, modelVersion]);
  const url = new URL(sent.at(-1).url);
  assert.equal(`${url.pathname}${url.search}`,
    `/v1beta/models/${opt.model}:streamGenerateContent?${['alt=sse', keyParams].filter(Boolean).join('&')}`);
});

await check('countTokens: totalTokens', async () => {
  const r = await ai.models.countTokens({ model: opt.model, contents });
  assert.equal(r.totalTokens, 9);
  assert.equal(new URL(sent.at(-1).url).pathname, `/v1beta/models/${opt.model}:countTokens`);
});

// ---------------------------------------------------------------------------
// Function calling, thinking

await check('function calling: a functionCall, then the functionResponse sent back gets the final text', async () => {
  const ask = { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] };
  const first = await ai.models.generateContent({ model: mock('function'), contents: [ask], config: { tools: [weatherTool] } });
  assert.deepEqual(first.functionCalls.map(({ name, args }) => ({ name, args })),
    [{ name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } }]);
  assert.equal(first.candidates[0].finishReason, FinishReason.STOP);
  const modelTurn = first.candidates[0].content;
  assert.equal(modelTurn.parts[0].thoughtSignature, SIGNATURE);
  const sentTools = JSON.parse(sent.at(-1).body).tools;
  assert.equal(sentTools[0].functionDeclarations[0].name, 'get_weather');
  const answer = { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21, sky: 'clear' } } }] };
  const second = await ai.models.generateContent({
    model: mock('function'), contents: [ask, modelTurn, answer], config: { tools: [weatherTool] },
  });
  assert.equal(second.text, 'The tool get_weather answered: {"sky":"clear","temperature":21}');
  const history = JSON.parse(sent.at(-1).body).contents;
  assert.equal(history[1].parts[0].thoughtSignature, SIGNATURE, 'the signature went back as it came');
});

await check('function calling, streamed: one chunk with the functionCall and STOP', async () => {
  const chunks = await collect(await ai.models.generateContentStream({
    model: mock('function'), contents: 'Weather in Paris?', config: { tools: [weatherTool] },
  }));
  assert.equal(chunks.length, 1);
  assert.deepEqual(chunks[0].functionCalls.map((c) => c.name), ['get_weather']);
  assert.equal(chunks[0].candidates[0].finishReason, FinishReason.STOP);
});

await check('thinking with includeThoughts: thought parts, then the text; thoughtsTokenCount', async () => {
  const r = await ai.models.generateContent({
    model: mock('thinking'), contents, config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
  });
  assert.equal(thoughtText(r), THOUGHTS);
  assert.equal(r.text, THINKING_TEXT, 'text leaves the thoughts out');
  assert.deepEqual(counts(r.usageMetadata, ['promptTokenCount', 'candidatesTokenCount', 'thoughtsTokenCount', 'totalTokenCount']),
    { promptTokenCount: 9, candidatesTokenCount: 7, thoughtsTokenCount: 312, totalTokenCount: 328 });
  assert.equal(JSON.parse(sent.at(-1).body).generationConfig.thinkingConfig.includeThoughts, true);
});

await check('thinking, streamed: the thoughts first, then the text', async () => {
  const chunks = await collect(await ai.models.generateContentStream({
    model: mock('thinking'), contents, config: { thinkingConfig: { includeThoughts: true } },
  }));
  assert.deepEqual(chunks.map((c) => Boolean(c.candidates[0].content.parts[0].thought)), [true, true, false, false]);
  assert.equal(chunks.map(thoughtText).join(''), THOUGHTS);
  assert.equal(chunks.map((c) => c.text ?? '').join(''), THINKING_TEXT);
  assert.equal(chunks.at(-1).usageMetadata.thoughtsTokenCount, 312);
});

await check('thinking without includeThoughts: no thought parts, thoughtsTokenCount all the same', async () => {
  const r = await ai.models.generateContent({ model: mock('thinking'), contents });
  assert.equal(thoughtText(r), '');
  assert.equal(r.usageMetadata.thoughtsTokenCount, 312);
});

// ---------------------------------------------------------------------------
// Usage details, stops

await check('cached content: cachedContentTokenCount and cacheTokensDetails', async () => {
  const r = await ai.models.generateContent({ model: mock('cached'), contents });
  assert.equal(r.usageMetadata.cachedContentTokenCount, 2048);
  assert.deepEqual(r.usageMetadata.cacheTokensDetails, [{ modality: 'TEXT', tokenCount: 2048 }]);
  assert.equal(r.usageMetadata.totalTokenCount, 2121);
});

await check('tool-use prompt tokens: toolUsePromptTokenCount, streamed', async () => {
  const chunks = await collect(await ai.models.generateContentStream({ model: mock('tool-use'), contents }));
  assert.equal(chunks.at(-1).usageMetadata.toolUsePromptTokenCount, 120);
  assert.equal(chunks.at(-1).usageMetadata.totalTokenCount, 150);
});

await check('a blocked prompt: promptFeedback.blockReason SAFETY, no candidates, no text', async () => {
  const r = await ai.models.generateContent({ model: mock('blocked'), contents });
  assert.equal(r.promptFeedback.blockReason, BlockedReason.SAFETY);
  assert.equal(r.candidates, undefined);
  assert.equal(r.text, undefined);
  assert.deepEqual(counts(r.usageMetadata, ['promptTokenCount', 'totalTokenCount']), { promptTokenCount: 9, totalTokenCount: 9 });
});

await check('MAX_TOKENS: the text so far, finishReason MAX_TOKENS, streamed', async () => {
  const chunks = await collect(await ai.models.generateContentStream({ model: mock('max-tokens'), contents }));
  assert.equal(chunks.map((c) => c.text).join(''), 'Once upon a');
  assert.equal(chunks.at(-1).candidates[0].finishReason, FinishReason.MAX_TOKENS);
});

await check('SAFETY: finishReason SAFETY, no text', async () => {
  const r = await ai.models.generateContent({ model: mock('safety'), contents });
  assert.equal(r.candidates[0].finishReason, FinishReason.SAFETY);
  assert.equal(r.text, undefined);
});

await check('a scenario asked in the prompt (mock:max-tokens) of an ordinary model', async () => {
  const r = await ai.models.generateContent({ model: opt.model, contents: 'Tell a story. mock:max-tokens' });
  assert.equal(r.text, 'Once upon a');
  assert.equal(r.candidates[0].finishReason, FinishReason.MAX_TOKENS);
});

await check('a slow first byte: the answer all the same', async () => {
  const r = await ai.models.generateContent({ model: mock('slow'), contents });
  assert.equal(r.text, TEXT.replace(`model=${upstreamModel}`, `model=${mock('slow')}`));
});

// ---------------------------------------------------------------------------
// Errors

for (const [status, [name, message]] of Object.entries(ERRORS)) {
  await check(`error ${status}: an ApiError with status ${status}, Google's ${name}`, async () => {
    const e = await thrown(() => ai.models.generateContent({ model: mock(status), contents }));
    assert.equal(e.status, statusOf(status));
    const g = googleError(e);
    assert.equal(g.code, statusOf(status));
    assert.equal(g.status, name);
    assert.match(g.message, message);
  });
}

// A gateway's own 429 (no channel left) has its message, not Google's details.
await check(`error 429, streamed: the ApiError before any chunk, ${opt.routed ? 'RESOURCE_EXHAUSTED' : 'with RetryInfo'}`, async () => {
  const e = await thrown(() => ai.models.generateContentStream({ model: mock('429'), contents }));
  assert.equal(e.status, 429);
  const g = googleError(e);
  assert.equal(g.status, 'RESOURCE_EXHAUSTED');
  if (opt.routed) {
    assert.match(g.message, ERRORS[429][1]);
  } else {
    const retry = g.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.match(retry.retryDelay, /^\d+s$/);
  }
});

// Google takes a key it does not know for an invalid argument; a gateway, for a failed
// authentication.
const WRONG_KEY = opt.routed
  ? [401, 'UNAUTHENTICATED', /^Malformed API key provided: .*Ask the administrator of this gateway for a valid key\.$/]
  : [400, 'INVALID_ARGUMENT', /^API key not valid\. Please pass a valid API key\.$/];
await check(`a wrong key: ApiError ${WRONG_KEY[0]}, ${WRONG_KEY[1]}`, async () => {
  const wrong = new GoogleGenAI({
    apiKey: 'AIzaSyNotTheRightKey', httpOptions: { baseUrl: opt['base-url'], timeout: 10000, fetch: recordingFetch },
  });
  const e = await thrown(() => wrong.models.generateContent({ model: opt.model, contents }));
  assert.equal(e.status, WRONG_KEY[0]);
  const g = googleError(e);
  assert.equal(g.code, WRONG_KEY[0]);
  assert.equal(g.status, WRONG_KEY[1]);
  assert.match(g.message, WRONG_KEY[2]);
});

await check('an error chunk mid-stream: two chunks, then an ApiError 503', async () => {
  const texts = [];
  const e = await thrown(async () => {
    for await (const c of await ai.models.generateContentStream({ model: mock('stream-error'), contents })) texts.push(c.text);
  });
  assert.equal(texts.length, 2);
  assert.equal(e.status, 503);
  assert.equal(googleError(e).status, 'UNAVAILABLE');
});

// Reset inside the third chunk (at a chunk's end Node's fetch would take the reset for the
// end of the body): the SDK is left with part of a chunk. A gateway that met the reset ends
// the stream with an error chunk of its own instead.
await check(`a connection reset mid-stream: two chunks, then ${opt.routed ? 'an ApiError 502' : 'an error that is not an ApiError'}`,
  async () => {
    const texts = [];
    const e = await thrown(async () => {
      for await (const c of await ai.models.generateContentStream({ model: mock('reset'), contents })) texts.push(c.text);
    });
    assert.equal(texts.length, 2);
    if (opt.routed) {
      assert.equal(e.status, 502, describe(e));
      const g = googleError(e);
      assert.equal(g.code, 502);
      assert.match(g.message, /^The upstream connection was interrupted before the response was complete\.$/);
    } else {
      assert.ok(!(e instanceof ApiError), `a network error, not ${describe(e)}`);
    }
  });

// ---------------------------------------------------------------------------
// Models (the mock's list; a gateway answers with its own)

if (opt.models) {
  await check('models.list: every model, over pages of two', async () => {
    const names = [];
    const pager = await ai.models.list({ config: { pageSize: 2 } });
    for await (const m of pager) {
      assert.equal(typeof m.displayName, 'string');
      assert.ok(m.inputTokenLimit > 0 && m.outputTokenLimit > 0);
      assert.ok(m.supportedActions.includes('generateContent'));
      names.push(m.name);
    }
    assert.deepEqual(names, ['models/gemini-2.5-flash', 'models/gemini-2.5-pro', 'models/gemini-2.0-flash']);
  });
  await check('models.get: one model', async () => {
    const m = await ai.models.get({ model: 'gemini-2.5-flash' });
    assert.equal(m.name, 'models/gemini-2.5-flash');
    assert.equal(m.version, '001');
  });
} else if (opt.listed) {
  // A gateway's list: its names, in Gemini's shape, as the SDK's pager reads them.
  await check(`models.list: the gateway's list, ${opt.listed}`, async () => {
    const models = [];
    for await (const m of await ai.models.list({ config: { pageSize: 2 } })) models.push(m);
    assert.deepEqual(models.map((m) => m.name), opt.listed.split(',').map((n) => `models/${n}`));
    for (const m of models) assert.ok(m.supportedActions.includes('generateContent'), `${m.name} generates content`);
  });
  await check(`models.get: ${opt.model}`, async () => {
    const m = await ai.models.get({ model: opt.model });
    assert.equal(m.name, `models/${opt.model}`);
    assert.ok(m.supportedActions.includes('generateContent'));
  });
} else {
  skip('models.list', 'not asked for (--models, --listed)');
}

done();
