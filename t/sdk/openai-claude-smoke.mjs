// Smoke test of a Claude model behind the gateway's OpenAI endpoint, with the official `openai`
// SDK as the client: the gateway translates the Chat Completions request to Anthropic's
// Messages, and Anthropic's answers and streams back (t/912-openai-sdk-claude.t).
//
//   node t/sdk/openai-claude-smoke.mjs --base-url http://127.0.0.1:2017/v1
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails.
// The expectations are the mock Anthropic upstream's answers (t/lib/Test/AIGW/Mock/Anthropic.pm,
// chosen by model name) as OpenAI's wire format says them. Options (each also from the
// environment):
//   --base-url URL        AIGW_BASE_URL          the SDK's baseURL (with /v1)
//   --key KEY             AIGW_KEY               the API key (default sk-test)
//   --model NAME          AIGW_CLAUDE_MODEL      a model answered with the text answer
//                                                (default claude-sonnet-4-5)
//   --mock-prefix PREFIX  AIGW_MOCK_PREFIX       the fixtures' model names: PREFIX + tool,
//                                                thinking, max-tokens, stream-error, 400...
//                                                (default claude-mock-)
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import OpenAI, {
  APIConnectionError, APIError, AuthenticationError, BadRequestError, InternalServerError, RateLimitError,
} from 'openai';

import { startTap } from './tap.mjs';

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_KEY ?? 'sk-test' },
    model: { type: 'string', default: process.env.AIGW_CLAUDE_MODEL ?? 'claude-sonnet-4-5' },
    'mock-prefix': { type: 'string', default: process.env.AIGW_MOCK_PREFIX ?? 'claude-mock-' },
  },
});

if (!opt['base-url']) {
  console.log('Bail out! no --base-url (or AIGW_BASE_URL), e.g. http://127.0.0.1:2017/v1');
  process.exit(2);
}

const { check, thrown, describe, done } = startTap({ APIError });

const client = new OpenAI({ baseURL: opt['base-url'], apiKey: opt.key, maxRetries: 0, timeout: 10000 });
const mock = (name) => `${opt['mock-prefix']}${name}`;

// ---------------------------------------------------------------------------
// What the mock sends, in OpenAI's words

const TEXT = 'Hello, "wörld"! ✓\nBye.';
const UPSTREAM_MODEL = 'claude-sonnet-4-5-20250929';
// Anthropic counts new, cache-written and cache-read input apart; OpenAI's prompt_tokens is
// all of them, cached_tokens the part read from the cache.
const USAGE = {
  prompt_tokens: 21 + 1552 + 3072,
  completion_tokens: 12,
  total_tokens: 21 + 1552 + 3072 + 12,
  cached_tokens: 3072,
};
const TOOL = { id: 'toolu_01AigwMockGetWeatherCall', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } };
const TOOL_TEXT = "I'll look up the weather in Paris.";
const THINKING = 'The user wants a greeting. Keep it short.';
const THINKING_TEXT = 'Hi! How can I help?';

const messages = [{ role: 'user', content: 'Say hello.' }];
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city'],
    },
  },
}];
const ask = (model, more = {}) => ({ model, messages, max_tokens: 1024, ...more });
const usageOf = (u) => ({
  prompt_tokens: u.prompt_tokens,
  completion_tokens: u.completion_tokens,
  total_tokens: u.total_tokens,
  cached_tokens: u.prompt_tokens_details?.cached_tokens,
});

// One stream, gathered: its chunks, the content, the tool calls by index ({id, name, pieces}),
// the finish reasons, and the error that ended it, if any.
async function gather(params) {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  const out = { chunks: [], content: '', calls: [], finish: [], error: undefined };
  try {
    for await (const chunk of stream) {
      out.chunks.push(chunk);
      for (const choice of chunk.choices) {
        out.content += choice.delta?.content ?? '';
        for (const tc of choice.delta?.tool_calls ?? []) {
          const call = (out.calls[tc.index] ??= { id: undefined, name: '', pieces: [] });
          call.id ??= tc.id;
          call.name += tc.function?.name ?? '';
          if (tc.function?.arguments) call.pieces.push(tc.function.arguments);
        }
        if (choice.finish_reason) out.finish.push(choice.finish_reason);
      }
    }
  } catch (e) {
    out.error = e;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Text

await check('chat: the Claude answer\'s text, finish_reason stop, usage with cached tokens', async () => {
  const { data: c, request_id } = await client.chat.completions.create(ask(opt.model)).withResponse();
  assert.equal(c.object, 'chat.completion');
  assert.ok([opt.model, UPSTREAM_MODEL].includes(c.model), `model ${c.model}`);
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.equal(c.choices[0].message.content, TEXT);
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(usageOf(c.usage), USAGE);
  assert.equal(typeof request_id, 'string');
  assert.ok(request_id.length > 0, 'a request id');
});

await check('chat stream with include_usage: the text in pieces, finish_reason stop, then usage', async () => {
  const s = await gather(ask(opt.model, { stream_options: { include_usage: true } }));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, TEXT);
  assert.ok(s.chunks.filter((c) => c.choices[0]?.delta?.content).length > 1, 'the text comes in pieces');
  assert.equal(s.chunks[0].choices[0]?.delta?.role, 'assistant', 'the first chunk has the role');
  assert.deepEqual(s.finish, ['stop']);
  for (const c of s.chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.id, s.chunks[0].id, 'one id for every chunk');
  }
  const last = s.chunks.at(-1);
  assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
  assert.deepEqual(usageOf(last.usage), USAGE);
  assert.equal(s.chunks.filter((c) => c.usage).length, 1, 'usage once');
});

await check('chat stream without include_usage: the text, no usage anywhere', async () => {
  const s = await gather(ask(opt.model));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, TEXT);
  assert.deepEqual(s.finish, ['stop']);
  assert.ok(s.chunks.every((c) => !c.usage), 'no chunk has usage');
});

// ---------------------------------------------------------------------------
// Tools, finish reasons, reasoning

await check('tools: the text and one tool call with JSON arguments, finish_reason tool_calls', async () => {
  const c = await client.chat.completions.create(ask(mock('tool'), { tools }));
  const m = c.choices[0].message;
  assert.equal(c.choices[0].finish_reason, 'tool_calls');
  assert.equal(m.content, TOOL_TEXT);
  assert.equal(m.tool_calls.length, 1);
  assert.equal(m.tool_calls[0].id, TOOL.id);
  assert.equal(m.tool_calls[0].type, 'function');
  assert.equal(m.tool_calls[0].function.name, TOOL.name);
  assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), TOOL.input);
});

await check('tools streamed: the call\'s id and name, its arguments in pieces, finish_reason tool_calls', async () => {
  const s = await gather(ask(mock('tool'), { tools, stream_options: { include_usage: true } }));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, TOOL_TEXT);
  assert.equal(s.calls.length, 1, 'one tool call');
  assert.equal(s.calls[0].id, TOOL.id);
  assert.equal(s.calls[0].name, TOOL.name);
  assert.ok(s.calls[0].pieces.length > 1, `the arguments come in pieces: ${JSON.stringify(s.calls[0].pieces)}`);
  assert.deepEqual(JSON.parse(s.calls[0].pieces.join('')), TOOL.input);
  assert.deepEqual(s.finish, ['tool_calls']);
  assert.equal(s.chunks.at(-1).usage?.completion_tokens, 71);
});

await check('max_tokens -> finish_reason length, whole and streamed', async () => {
  const c = await client.chat.completions.create(ask(mock('max-tokens')));
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.choices[0].message.content, 'Once upon a');
  const s = await gather(ask(mock('max-tokens')));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, 'Once upon a');
  assert.deepEqual(s.finish, ['length']);
});

await check('thinking: the text as content, the thinking as reasoning_content', async () => {
  const c = await client.chat.completions.create(ask(mock('thinking')));
  assert.equal(c.choices[0].message.content, THINKING_TEXT);
  assert.equal(c.choices[0].message.reasoning_content, THINKING);
  assert.equal(c.choices[0].finish_reason, 'stop');
});

// ---------------------------------------------------------------------------
// Errors in OpenAI's error object: Anthropic's status and message for what is the client's to
// fix; for 429 and 529, which the gateway's model table falls back on, the gateway's own
// message once no channel is left, with the last one's status.

const ERRORS = [
  [400, BadRequestError, 'max_tokens: Field required'],
  [401, AuthenticationError, 'invalid x-api-key'],
  [429, RateLimitError, /failed; the last answered HTTP 429\.$/],
  [529, InternalServerError, /failed; the last answered HTTP 529\.$/],
];
for (const [status, Class, message] of ERRORS) {
  await check(`Anthropic ${status} -> ${Class.name} with its message (or the gateway's)`, async () => {
    const e = await thrown(() => client.chat.completions.create(ask(mock(status))));
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e?.constructor?.name}: ${describe(e)}`);
    assert.equal(e.status, status);
    assert.equal(typeof e.error, 'object', 'err.error is OpenAI\'s error object');
    if (message instanceof RegExp) {
      assert.match(e.error.message, message);
    } else {
      assert.equal(e.error.message, message);
    }
    assert.ok(e.requestID, 'a request id');
  });
}

await check('mid-stream overloaded_error -> the text before it, then an APIError', async () => {
  const s = await gather(ask(mock('stream-error')));
  assert.equal(s.content, 'Hello');
  assert.ok(s.error instanceof APIError && !(s.error instanceof APIConnectionError),
    `expected the APIError of an error event, got ${s.error?.constructor?.name}: ${s.error && describe(s.error)}`);
  assert.equal(s.error.error?.message, 'Overloaded');
});

done();
