// Smoke test of a Gemini model behind the gateway's OpenAI endpoint, with the official `openai`
// SDK as the client: the gateway translates the Chat Completions request to Gemini's
// generateContent (streamGenerateContent?alt=sse for a stream), and Gemini's answers and chunks
// back (t/914-openai-sdk-gemini.t).
//
//   node t/sdk/openai-gemini-smoke.mjs --base-url http://127.0.0.1:2077/v1
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails.
// The expectations are the mock Gemini upstream's answers (t/lib/Test/AIGW/Mock/Gemini.pm,
// chosen by model name) as OpenAI's wire format says them. Options (each also from the
// environment):
//   --base-url URL        AIGW_BASE_URL              the SDK's baseURL (with /v1)
//   --key KEY             AIGW_KEY                   the API key (default sk-test)
//   --model NAME          AIGW_GEMINI_MODEL          a model answered with the text answer
//                                                    (default gemini-2.5-flash)
//   --upstream-model NAME AIGW_GEMINI_UPSTREAM_MODEL the name the upstream sees for --model, which
//                                                    its answer repeats (default the same)
//   --upstream-key KEY    AIGW_GEMINI_UPSTREAM_KEY   the channel's key, which the upstream's
//                                                    answer repeats
//   --mock-prefix PREFIX  AIGW_MOCK_PREFIX           the scenarios' model names: PREFIX + function,
//                                                    thinking, blocked, 400... (default
//                                                    gemini-mock-)
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import OpenAI, {
  APIConnectionError, APIError, BadRequestError, InternalServerError, NotFoundError, RateLimitError,
} from 'openai';

import { startTap } from './tap.mjs';

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_KEY ?? 'sk-test' },
    model: { type: 'string', default: process.env.AIGW_GEMINI_MODEL ?? 'gemini-2.5-flash' },
    'upstream-model': { type: 'string', default: process.env.AIGW_GEMINI_UPSTREAM_MODEL },
    'upstream-key': { type: 'string', default: process.env.AIGW_GEMINI_UPSTREAM_KEY },
    'mock-prefix': { type: 'string', default: process.env.AIGW_MOCK_PREFIX ?? 'gemini-mock-' },
  },
});

if (!opt['base-url'] || !opt['upstream-key']) {
  console.log('Bail out! no --base-url or --upstream-key (or AIGW_BASE_URL, AIGW_GEMINI_UPSTREAM_KEY)');
  process.exit(2);
}

const { check, thrown, describe, done } = startTap({ APIError });

const client = new OpenAI({ baseURL: opt['base-url'], apiKey: opt.key, maxRetries: 0, timeout: 10000 });
const mock = (name) => `${opt['mock-prefix']}${name}`;
const upstreamModel = opt['upstream-model'] ?? opt.model;

// ---------------------------------------------------------------------------
// What the mock sends, in OpenAI's words

// The text comes in three chunks: the first two end inside the quotes and after the check mark.
const PIECES = ['Hello, "wö', 'rld" ✓\n', `model=${upstreamModel} key=${opt['upstream-key']} via=x-goog-api-key`];
const TEXT = PIECES.join('');
const USAGE = { prompt_tokens: 9, completion_tokens: 21, total_tokens: 30, cached_tokens: 0, reasoning_tokens: 0 };
const WEATHER = { city: 'Paris', unit: 'celsius' };
// Gemini's thoughts are the reasoning; thoughtsTokenCount is in completion_tokens, as OpenAI
// counts reasoning.
const THOUGHTS = '**Greeting the user**\n\nThe user wants a short hello. I will keep it brief.';
const THINKING_TEXT = 'Hi! How can I help?';
const THINKING_USAGE = { prompt_tokens: 9, completion_tokens: 7 + 312, total_tokens: 328, cached_tokens: 0, reasoning_tokens: 312 };
const BLOCKED = "The prompt was blocked by the upstream's content filter (SAFETY).";

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
const ask = (model, more = {}) => ({ model, messages, ...more });
const usageOf = (u) => ({
  prompt_tokens: u?.prompt_tokens,
  completion_tokens: u?.completion_tokens,
  total_tokens: u?.total_tokens,
  cached_tokens: u?.prompt_tokens_details?.cached_tokens,
  reasoning_tokens: u?.completion_tokens_details?.reasoning_tokens,
});

// One stream, gathered: its chunks, the content and the reasoning, the tool calls by index
// ({id, name, pieces}), the finish reasons, and the error that ended it, if any.
async function gather(params) {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  const out = { chunks: [], content: '', contents: [], reasoning: '', calls: [], finish: [], error: undefined };
  try {
    for await (const chunk of stream) {
      out.chunks.push(chunk);
      for (const choice of chunk.choices) {
        if (choice.delta?.content) out.contents.push(choice.delta.content);
        out.content += choice.delta?.content ?? '';
        out.reasoning += choice.delta?.reasoning_content ?? '';
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

await check('chat: the Gemini answer\'s text, finish_reason stop, usage, the model asked for', async () => {
  const { data: c, request_id } = await client.chat.completions.create(ask(opt.model)).withResponse();
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.model, opt.model);
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.equal(c.choices[0].message.content, TEXT);
  assert.equal(c.choices[0].message.tool_calls, undefined);
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(usageOf(c.usage), USAGE);
  assert.match(c.id, /\S/);
  assert.ok(request_id, 'a request id');
});

await check('chat stream with include_usage: Gemini\'s chunks as deltas, finish_reason stop, then usage', async () => {
  const s = await gather(ask(opt.model, { stream_options: { include_usage: true } }));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.deepEqual(s.contents, PIECES, 'one delta a Gemini chunk');
  assert.equal(s.chunks[0].choices[0]?.delta?.role, 'assistant', 'the first chunk has the role');
  assert.deepEqual(s.finish, ['stop']);
  for (const c of s.chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.id, s.chunks[0].id, 'one id for every chunk');
    assert.equal(c.model, opt.model);
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
// Tools: the call, the result sent back, the answer

const toolAsk = [{ role: 'user', content: 'What is the weather in Paris?' }];
let firstCall;

await check('tools: one tool call with JSON arguments, no content, finish_reason tool_calls', async () => {
  const c = await client.chat.completions.create({ model: mock('function'), messages: toolAsk, tools });
  const m = c.choices[0].message;
  assert.equal(c.choices[0].finish_reason, 'tool_calls');
  assert.equal(m.content, null);
  assert.equal(m.tool_calls.length, 1);
  assert.match(m.tool_calls[0].id, /^\S+$/);
  assert.equal(m.tool_calls[0].type, 'function');
  assert.equal(m.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), WEATHER);
  // Gemini counts the thinking before a call: 41 of the 59 completion tokens.
  assert.deepEqual(usageOf(c.usage), { prompt_tokens: 64, completion_tokens: 59, total_tokens: 123, cached_tokens: 0, reasoning_tokens: 41 });
  firstCall = m;
});

await check('the tool\'s result sent back: the final answer, finish_reason stop', async () => {
  assert.ok(firstCall, 'the tool call of the check before');
  const c = await client.chat.completions.create({
    model: mock('function'),
    tools,
    messages: [
      ...toolAsk,
      { role: 'assistant', content: null, tool_calls: firstCall.tool_calls },
      { role: 'tool', tool_call_id: firstCall.tool_calls[0].id, content: JSON.stringify({ temperature: 21, sky: 'clear' }) },
    ],
  });
  // The mock answers with the functionResponse it got (its name, its response as JSON).
  assert.equal(c.choices[0].message.content, 'The tool get_weather answered: {"sky":"clear","temperature":21}');
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(usageOf(c.usage), { prompt_tokens: 96, completion_tokens: 16, total_tokens: 112, cached_tokens: 0, reasoning_tokens: 0 });
});

await check('tools streamed: the call whole (Gemini sends it whole), finish_reason tool_calls, usage', async () => {
  const s = await gather({ model: mock('function'), messages: toolAsk, tools, stream_options: { include_usage: true } });
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, '');
  assert.equal(s.calls.length, 1, 'one tool call');
  assert.match(s.calls[0].id ?? '', /^\S+$/);
  assert.equal(s.calls[0].name, 'get_weather');
  assert.deepEqual(JSON.parse(s.calls[0].pieces.join('')), WEATHER);
  assert.deepEqual(s.finish, ['tool_calls']);
  assert.equal(s.chunks.at(-1).usage?.completion_tokens, 59);
});

// ---------------------------------------------------------------------------
// Reasoning, finish reasons

await check('reasoning_effort low: the text as content, Gemini\'s thoughts as reasoning_content, reasoning_tokens', async () => {
  const c = await client.chat.completions.create(ask(mock('thinking'), { reasoning_effort: 'low' }));
  assert.equal(c.choices[0].message.content, THINKING_TEXT);
  assert.equal(c.choices[0].message.reasoning_content, THOUGHTS, 'an extra field the SDK keeps');
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(usageOf(c.usage), THINKING_USAGE);
});

await check('reasoning_effort low, streamed: reasoning_content deltas, then the text', async () => {
  const s = await gather(ask(mock('thinking'), { reasoning_effort: 'low', stream_options: { include_usage: true } }));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.reasoning, THOUGHTS);
  assert.equal(s.content, THINKING_TEXT);
  const firstText = s.chunks.findIndex((c) => c.choices[0]?.delta?.content);
  const lastThought = s.chunks.findLastIndex((c) => c.choices[0]?.delta?.reasoning_content);
  assert.ok(lastThought >= 0 && lastThought < firstText, 'the reasoning before the text');
  assert.deepEqual(s.finish, ['stop']);
  assert.deepEqual(usageOf(s.chunks.at(-1).usage), THINKING_USAGE);
});

await check('without reasoning_effort: no reasoning_content (the thoughts were not asked for)', async () => {
  const c = await client.chat.completions.create(ask(mock('thinking')));
  assert.equal(c.choices[0].message.content, THINKING_TEXT);
  assert.equal(c.choices[0].message.reasoning_content, undefined);
  assert.equal(c.usage.completion_tokens_details?.reasoning_tokens, 312, 'the thinking is counted all the same');
});

await check('MAX_TOKENS -> finish_reason length, whole and streamed', async () => {
  const c = await client.chat.completions.create(ask(mock('max-tokens'), { max_tokens: 3 }));
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.choices[0].message.content, 'Once upon a');
  const s = await gather(ask(mock('max-tokens'), { max_tokens: 3 }));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, 'Once upon a');
  assert.deepEqual(s.finish, ['length']);
});

await check('SAFETY -> finish_reason content_filter, streamed: the text before it', async () => {
  const s = await gather(ask(mock('safety')));
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.content, 'I can tell you how to');
  assert.deepEqual(s.finish, ['content_filter']);
});

// ---------------------------------------------------------------------------
// Errors in OpenAI's error object: Google's status, message and status word (as the code)
// for what is the client's to fix; for 429 and 5xx, which the gateway's model table falls
// back on, the gateway's own message once no channel is left, with the last one's status (a
// 500 its 502).

const failed = (status) => new RegExp(`^The upstream channel tried for model \`${mock(status)}\` failed; the last answered HTTP ${status}\\.$`);
const ERRORS = [
  [400, 400, BadRequestError, 'Request contains an invalid argument.', 'invalid_argument'],
  [404, 404, NotFoundError, /^models\/\S+ is not found for API version v1beta/, 'not_found'],
  [429, 429, RateLimitError, failed(429)],
  [500, 502, InternalServerError, failed(500)],
  [503, 503, InternalServerError, failed(503)],
];
for (const [upstream, status, Class, message, code] of ERRORS) {
  await check(`Gemini ${upstream} -> ${Class.name} ${status} with ${code ? 'Google\'s message' : 'the gateway\'s message'}`, async () => {
    const e = await thrown(() => client.chat.completions.create(ask(mock(upstream))));
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e?.constructor?.name}: ${describe(e)}`);
    assert.equal(e.status, status);
    assert.equal(typeof e.error, 'object', 'err.error is OpenAI\'s error object');
    if (message instanceof RegExp) {
      assert.match(e.error.message, message);
    } else {
      assert.equal(e.error.message, message);
    }
    if (code) assert.equal(e.code, code);
    assert.ok(e.requestID, 'a request id');
  });
}

await check('Gemini 429, streamed: RateLimitError before any chunk', async () => {
  const e = await thrown(() => client.chat.completions.create(ask(mock('429'), { stream: true })));
  assert.ok(e instanceof RateLimitError, `expected RateLimitError, got ${describe(e)}`);
  assert.equal(e.status, 429);
  assert.match(e.error.message, failed(429));
});

await check('a blocked prompt -> BadRequestError 400, code content_filter, param prompt', async () => {
  const e = await thrown(() => client.chat.completions.create(ask(mock('blocked'))));
  assert.ok(e instanceof BadRequestError, `expected BadRequestError, got ${describe(e)}`);
  assert.equal(e.status, 400);
  assert.equal(e.code, 'content_filter');
  assert.equal(e.param, 'prompt');
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.error.message, BLOCKED);
});

await check('a blocked prompt, streamed: the stream throws an APIError with the content filter\'s message', async () => {
  const s = await gather(ask(mock('blocked')));
  assert.equal(s.content, '');
  assert.ok(s.error instanceof APIError && !(s.error instanceof APIConnectionError),
    `expected the APIError of an error event, got ${s.error?.constructor?.name}: ${s.error && describe(s.error)}`);
  assert.equal(s.error.error?.code, 'content_filter');
  assert.equal(s.error.error?.message, BLOCKED);
});

await check('an error chunk mid-stream (Google\'s 503): the text before it, then an APIError', async () => {
  const s = await gather(ask(mock('stream-error')));
  assert.deepEqual(s.contents, PIECES.slice(0, 2));
  assert.ok(s.error instanceof APIError && !(s.error instanceof APIConnectionError),
    `expected the APIError of an error event, got ${s.error?.constructor?.name}: ${s.error && describe(s.error)}`);
  assert.equal(s.error.error?.message, 'The model is overloaded. Please try again later.');
});

await check('a connection reset mid-stream: the text before it, then the SDK throws', async () => {
  const s = await gather(ask(mock('reset')));
  assert.deepEqual(s.contents, PIECES.slice(0, 2));
  assert.ok(s.error instanceof Error, 'the stream threw');
  assert.deepEqual(s.finish, [], 'no finish_reason: the answer is not whole');
  assert.ok(s.error instanceof APIError && !(s.error instanceof APIConnectionError),
    `expected the APIError of the gateway's error event, got ${s.error?.constructor?.name}: ${describe(s.error)}`);
  assert.match(s.error.error?.message ?? '', /interrupted/);
});

done();
