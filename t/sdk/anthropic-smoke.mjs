// Smoke test of an Anthropic Messages endpoint with the official `@anthropic-ai/sdk` as the
// client: the gateway's Anthropic channel (t/910-anthropic-sdk.t), or the mock upstream itself.
//
//   node t/sdk/anthropic-smoke.mjs --base-url http://127.0.0.1:2012 --key sk-ant-test
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails.
// The expectations are what the mock Anthropic upstream sends (t/lib/Test/AIGW/Mock/Anthropic.pm),
// chosen by model name. Options (each also from the environment):
//   --base-url URL        AIGW_ANTHROPIC_BASE_URL  the SDK's baseURL (without /v1)
//   --key KEY             AIGW_ANTHROPIC_KEY       sent as x-api-key (default sk-ant-test)
//   --model NAME          AIGW_ANTHROPIC_MODEL     a model answered with the text answer
//                                                  (default claude-sonnet-4-5)
//   --mock-prefix PREFIX  AIGW_MOCK_PREFIX         the fixtures' model names: PREFIX + tool,
//                                                  thinking, max-tokens, stream-error, 400...
//                                                  (default claude-mock-)
//   --request-id ID       AIGW_EXPECT_REQUEST_ID   the request-id every answer must carry
//                                                  (default: any non-empty one)
//   --models              AIGW_CHECK_MODELS=1      also check models.list against the mock's
//   --routed              AIGW_ROUTED=1            the client is a gateway whose model table
//                                                  falls back on 429 and 5xx: those errors
//                                                  carry its own message, not the upstream's
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import Anthropic, * as sdk from '@anthropic-ai/sdk';

import { startTap } from './tap.mjs';

const {
  APIError, APIConnectionError, AuthenticationError, BadRequestError, InternalServerError,
  NotFoundError, PermissionDeniedError, RateLimitError,
} = sdk;

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_ANTHROPIC_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_ANTHROPIC_KEY ?? 'sk-ant-test' },
    model: { type: 'string', default: process.env.AIGW_ANTHROPIC_MODEL ?? 'claude-sonnet-4-5' },
    'mock-prefix': { type: 'string', default: process.env.AIGW_MOCK_PREFIX ?? 'claude-mock-' },
    'request-id': { type: 'string', default: process.env.AIGW_EXPECT_REQUEST_ID },
    models: { type: 'boolean', default: process.env.AIGW_CHECK_MODELS === '1' },
    routed: { type: 'boolean', default: process.env.AIGW_ROUTED === '1' },
  },
});

if (!opt['base-url']) {
  console.log('Bail out! no --base-url (or AIGW_ANTHROPIC_BASE_URL), e.g. http://127.0.0.1:2012');
  process.exit(2);
}

const { check, skip, thrown, describe, done } = startTap({ APIError });

const client = new Anthropic({
  baseURL: opt['base-url'], apiKey: opt.key, maxRetries: 0, timeout: 10000,
});
const mock = (name) => `${opt['mock-prefix']}${name}`;

// A request id as the SDK has it: one id (the mock's when --request-id says so).
function assertRequestId(id, what) {
  assert.equal(typeof id, 'string', `${what}: the request id is a string, not ${id}`);
  assert.match(id, /^[A-Za-z0-9_-]+$/, `${what}: one request id`);
  if (opt['request-id']) {
    assert.equal(id, opt['request-id'], `${what}: the request id`);
  }
}

// ---------------------------------------------------------------------------
// What the mock sends

const TEXT = 'Hello, "wörld"! ✓\nBye.';
const TEXT_DELTAS = ['Hello', ', "wö', 'rld"! ✓', '\nBye.'];
const TEXT_MODEL = 'claude-sonnet-4-5-20250929';
const USAGE = {
  input_tokens: 21, cache_creation_input_tokens: 1552, cache_read_input_tokens: 3072, output_tokens: 12,
};
const STREAM_EVENTS = [
  'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta',
  'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
];
const TOOL = { id: 'toolu_01AigwMockGetWeatherCall', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } };
const TOOL_TEXT = "I'll look up the weather in Paris.";
const TOOL_JSON_STREAMED = '{"city": "Paris", "unit": "celsius"}';
const THINKING = 'The user wants a greeting. Keep it short.';
const SIGNATURE = 'z2dHslc3ROUKtpRrfoSYXNDCgWihQlEJbMRZA2O/mhVV4YaGDPYEYlROd0N4gA+988etD2iBRNCnXe4z'
  + 'FUNLeZg42JPKuWjbKizlLT+FI8E+/+7nHY0lyoquk+YvGR8QaKJJx/9MgmGAmNsoHNgLcrxRiODBUSvd07cO/m'
  + 'aVIkcTOTRldNiow+MRGAsCOe8yaX5VzTQgGimqQQ+kGBahJVba9PIYsggSsUhEfQOdeN4wA9YZyP5Lf2vq0S/HVQ==';
const THINKING_TEXT = 'Hi! How can I help?';
const ERRORS = {
  400: [BadRequestError, 'invalid_request_error', 'max_tokens: Field required'],
  401: [AuthenticationError, 'authentication_error', 'invalid x-api-key'],
  403: [PermissionDeniedError, 'permission_error',
    'Your API key does not have permission to use the specified resource.'],
  404: [NotFoundError, 'not_found_error', 'model: claude-mock-404'],
  413: [sdk.ContentTooLargeError ?? APIError, 'request_too_large',
    'Request exceeds the maximum allowed number of bytes.'],
  429: [RateLimitError, 'rate_limit_error', /^This request would exceed the rate limit for your organization/],
  500: [InternalServerError, 'api_error', 'Internal server error'],
  529: [sdk.OverloadedError ?? APIError, 'overloaded_error', 'Overloaded'],
};
// A gateway with a model table tries the next channel on 429 and 5xx; when none is left its
// own error says what the last one answered, with that status.
// Its status is the last one's, but a 500, which it answers as 502 (a bad gateway: what is
// behind it failed).
const STATUS = { 500: 502 };
if (opt.routed) {
  for (const status of [429, 500, 529]) {
    ERRORS[status][2] = new RegExp(`failed; the last answered HTTP ${status}\\.$`);
  }
}

const messages = [{ role: 'user', content: 'Say hello.' }];
const tools = [{
  name: 'get_weather',
  description: 'The current weather in a city.',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city'],
  },
}];
const ask = (model, more = {}) => ({ model, max_tokens: 1024, messages, ...more });
const counts = (u) => ({
  input_tokens: u.input_tokens,
  cache_creation_input_tokens: u.cache_creation_input_tokens,
  cache_read_input_tokens: u.cache_read_input_tokens,
  output_tokens: u.output_tokens,
});

// ---------------------------------------------------------------------------
// Text

await check('messages.create: the text, stop_reason, usage with cache tokens, request id', async () => {
  const { data: m, response, request_id } = await client.messages.create(ask(opt.model)).withResponse();
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.model, TEXT_MODEL);
  assert.match(m.id, /^msg_/);
  assert.deepEqual(m.content, [{ type: 'text', text: TEXT }]);
  assert.equal(m.stop_reason, 'end_turn');
  assert.equal(m.stop_sequence, null);
  assert.deepEqual(counts(m.usage), USAGE);
  assert.deepEqual(m.usage.cache_creation, { ephemeral_5m_input_tokens: 1552, ephemeral_1h_input_tokens: 0 });
  assertRequestId(request_id, 'withResponse');
  assert.equal(m._request_id, request_id, '_request_id');
});

await check('messages.create stream: text/event-stream, Anthropic\'s events in order, ping included', async () => {
  const response = await client.messages.create(ask(opt.model, { stream: true })).asResponse();
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream\b/);
  assertRequestId(response.headers.get('request-id'), 'stream');
  const text = await response.text();
  assert.ok(text.endsWith('\n\n'), 'the stream ends with a blank line');
  const events = text.slice(0, -2).split('\n\n').map((ev) => {
    const m = /^event: ([a-z_]+)\ndata: (.*)$/.exec(ev);
    assert.ok(m, `an event is \`event: NAME\` then \`data: JSON\`: ${JSON.stringify(ev)}`);
    assert.equal(JSON.parse(m[2]).type, m[1], 'each event\'s data has its name as type');
    return m[1];
  });
  assert.deepEqual(events, STREAM_EVENTS);
});

await check('messages.stream: text events, finalMessage() with cumulative usage incl. cache tokens', async () => {
  const stream = client.messages.stream(ask(opt.model));
  const deltas = [];
  stream.on('text', (delta) => deltas.push(delta));
  const m = await stream.finalMessage();
  assert.deepEqual(deltas, TEXT_DELTAS);
  assert.deepEqual(m.content.map((b) => [b.type, b.text]), [['text', TEXT]]);
  assert.equal(m.stop_reason, 'end_turn');
  assert.deepEqual(counts(m.usage), USAGE);
  assertRequestId(stream.request_id, 'stream.request_id');
});

await check('messages.countTokens: input_tokens, request id', async () => {
  const r = await client.messages.countTokens({ model: opt.model, messages });
  assert.deepEqual({ ...r }, { input_tokens: 14 });
  assertRequestId(r._request_id, '_request_id');
});

// ---------------------------------------------------------------------------
// Tool use, thinking, max_tokens

await check('tool use: a tool_use block with its parsed input, stop_reason tool_use', async () => {
  const m = await client.messages.create(ask(mock('tool'), { tools }));
  assert.equal(m.stop_reason, 'tool_use');
  assert.equal(m.content.length, 2);
  assert.equal(m.content[0].type, 'text');
  assert.equal(m.content[0].text, TOOL_TEXT);
  assert.deepEqual({ ...m.content[1] }, { type: 'tool_use', ...TOOL });
});

await check('tool use streamed: inputJson pieces, the parsed input in finalMessage()', async () => {
  const stream = client.messages.stream(ask(mock('tool'), { tools }));
  const pieces = [];
  const blocks = [];
  stream.on('inputJson', (piece) => pieces.push(piece));
  stream.on('contentBlock', (b) => blocks.push(b.type));
  const m = await stream.finalMessage();
  assert.equal(pieces.join(''), TOOL_JSON_STREAMED);
  assert.deepEqual(blocks, ['text', 'tool_use']);
  assert.equal(m.stop_reason, 'tool_use');
  assert.equal(m.content[0].text, TOOL_TEXT);
  assert.deepEqual({ ...m.content[1] }, { type: 'tool_use', ...TOOL });
});

await check('thinking: the thinking block and its signature byte for byte, then text', async () => {
  const m = await client.messages.create(ask(mock('thinking'), { thinking: { type: 'enabled', budget_tokens: 1024 } }));
  assert.deepEqual(m.content.map((b) => b.type), ['thinking', 'text']);
  assert.equal(m.content[0].thinking, THINKING);
  assert.equal(m.content[0].signature, SIGNATURE);
  assert.equal(m.content[1].text, THINKING_TEXT);
  assert.equal(m.stop_reason, 'end_turn');
});

await check('thinking streamed: thinking and signature events, the signature kept in finalMessage()', async () => {
  const stream = client.messages.stream(ask(mock('thinking'), { thinking: { type: 'enabled', budget_tokens: 1024 } }));
  const thinking = [];
  const signatures = [];
  const text = [];
  stream.on('thinking', (d) => thinking.push(d));
  stream.on('signature', (s) => signatures.push(s));
  stream.on('text', (d) => text.push(d));
  const m = await stream.finalMessage();
  assert.equal(thinking.join(''), THINKING);
  assert.deepEqual(signatures, [SIGNATURE]);
  assert.equal(text.join(''), THINKING_TEXT);
  assert.equal(m.content[0].signature, SIGNATURE);
  assert.equal(m.content[0].thinking, THINKING);
  assert.equal(m.usage.output_tokens, 38);
});

await check('max_tokens: stop_reason max_tokens, whole and streamed', async () => {
  const m = await client.messages.create(ask(mock('max-tokens')));
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(m.content[0].text, 'Once upon a');
  const s = await client.messages.stream(ask(mock('max-tokens'))).finalMessage();
  assert.equal(s.stop_reason, 'max_tokens');
  assert.equal(s.content[0].text, 'Once upon a');
  assert.equal(s.usage.output_tokens, 3);
});

// ---------------------------------------------------------------------------
// Errors (maxRetries 0: one request each)

for (const [status, [Class, type, message]] of Object.entries(ERRORS)) {
  await check(`HTTP ${status} ${type} -> ${Class.name}, its message, request id`, async () => {
    const e = await thrown(() => client.messages.create(ask(mock(status))));
    assert.ok(e instanceof Class && e instanceof APIError,
      `expected ${Class.name}, got ${e?.constructor?.name}: ${describe(e)}`);
    assert.equal(e.status, opt.routed ? (STATUS[status] ?? Number(status)) : Number(status));
    assert.equal(e.error?.type, 'error', 'the body is Anthropic\'s error object');
    assert.equal(e.error?.error?.type, type);
    assert.equal(e.type, type, 'err.type');
    if (message instanceof RegExp) {
      assert.match(e.error.error.message, message);
    } else {
      assert.equal(e.error.error.message, message);
    }
    assertRequestId(e.requestID, 'err.requestID');
    assert.equal(e.requestID, e.headers.get('request-id'));
    if (Number(status) === 429) {
      assert.equal(e.headers.get('retry-after'), '20', 'retry-after');
    }
  });
}

await check('HTTP 429 to a stream request -> RateLimitError before any event', async () => {
  const e = await thrown(async () => {
    const stream = await client.messages.create(ask(mock(429), { stream: true }));
    for await (const ev of stream) {
      assert.fail(`an event was yielded: ${JSON.stringify(ev)}`);
    }
  });
  assert.ok(e instanceof RateLimitError, `expected RateLimitError, got ${describe(e)}`);
  assertRequestId(e.requestID, 'err.requestID');
});

await check('mid-stream `event: error` -> the text before it, then an APIError overloaded_error', async () => {
  const stream = client.messages.stream(ask(mock('stream-error')));
  const deltas = [];
  stream.on('text', (d) => deltas.push(d));
  const e = await thrown(() => stream.finalMessage());
  assert.deepEqual(deltas, ['Hello']);
  assert.ok(e instanceof APIError && !(e instanceof APIConnectionError),
    `expected the APIError of an error event, got ${e?.constructor?.name}: ${describe(e)}`);
  assert.equal(e.type, 'overloaded_error');
  assert.equal(e.error?.error?.type, 'overloaded_error');
  assert.equal(e.error?.error?.message, 'Overloaded');
  assertRequestId(e.requestID, 'err.requestID');
});

await check('mid-stream `event: error` while iterating create({stream: true}) -> APIError', async () => {
  const seen = [];
  const e = await thrown(async () => {
    const stream = await client.messages.create(ask(mock('stream-error'), { stream: true }));
    for await (const ev of stream) seen.push(ev.type);
  });
  assert.deepEqual(seen, ['message_start', 'content_block_start', 'content_block_delta']);
  assert.ok(e instanceof APIError, `expected an APIError, got ${describe(e)}`);
  assert.equal(e.type, 'overloaded_error');
});

// ---------------------------------------------------------------------------
// Models (the mock's list; a gateway answers with its own)

if (opt.models) {
  await check('models.list: the ids, newest first, in one page', async () => {
    const ids = [];
    const page = await client.models.list();
    for await (const m of page) {
      assert.equal(m.type, 'model');
      assert.equal(typeof m.display_name, 'string');
      assert.match(m.created_at, /^\d{4}-\d\d-\d\dT/);
      ids.push(m.id);
    }
    assert.deepEqual(ids, ['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805']);
    assert.equal(page.has_more, false);
    assert.equal(page.first_id, ids[0]);
    assert.equal(page.last_id, ids[2]);
  });
} else {
  skip('models.list', 'not asked for (--models)');
}

done();
