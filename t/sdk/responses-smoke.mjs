// Smoke test of the OpenAI Responses API (POST /v1/responses) with the real clients that speak it:
// the `openai` SDK (responses.create, responses.stream), the Vercel AI SDK (`openai(model)` from
// @ai-sdk/openai is a Responses model) and LangChain (`ChatOpenAI` with useResponsesApi), against
// the mock upstream itself or the gateway (t/920-responses-sdks.t).
//
//   node t/sdk/responses-smoke.mjs --base-url http://127.0.0.1:2042/v1 --target responses
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails. The
// expectations are the mocks' answers as the Responses API says them, by --target:
//   responses   the Responses mock (t/lib/Test/AIGW/Mock/Responses.pm), straight or passed through
//               a channel that speaks the Responses API: text, parallel function calls,
//               reasoning, max_output_tokens, a failed stream, every error status
//   chat        the Chat Completions mock (t/lib/Test/AIGW/Mock/OpenAI.pm) behind a channel
//               without the Responses API: its JSON answer and its stream, translated
//   anthropic   the Anthropic mock (t/lib/Test/AIGW/Mock/Anthropic.pm) behind an Anthropic
//               channel: text, a tool call, thinking, max_tokens, errors, a failed stream
// Options (each also from the environment):
//   --base-url URL        AIGW_BASE_URL       the clients' baseURL (with /v1)
//   --key KEY             AIGW_KEY            the API key (default sk-test)
//   --target NAME         AIGW_TARGET         responses, chat or anthropic (default responses)
//   --model NAME          AIGW_MODEL          a model answered with the text answer (default:
//                                             gpt-4.1-mini, gpt-5-codex, claude-sonnet-4-5)
//   --mock-prefix PREFIX  AIGW_MOCK_PREFIX    the fixtures' model names: PREFIX + tool, 429, ...
//                                             (default resp-mock-, or claude-mock-)
//   --clients LIST        AIGW_CLIENTS        of openai,ai,langchain (default all three)
//   --stored                                  also retrieve, delete and list the input items of
//                                             the mock's stored response (the mock itself)
// Only the three clients and node built-ins are used.

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { startTap } from './tap.mjs';
import OpenAI, {
  APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError,
} from 'openai';
import { APICallError, generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_KEY ?? 'sk-test' },
    target: { type: 'string', default: process.env.AIGW_TARGET ?? 'responses' },
    model: { type: 'string', default: process.env.AIGW_MODEL },
    'mock-prefix': { type: 'string', default: process.env.AIGW_MOCK_PREFIX },
    clients: { type: 'string', default: process.env.AIGW_CLIENTS ?? 'openai,ai,langchain' },
    stored: { type: 'boolean', default: false },
  },
});
const WATCHDOG_MS = 60_000;

if (!opt['base-url']) {
  console.log('Bail out! no --base-url (or AIGW_BASE_URL), e.g. http://127.0.0.1:2042/v1');
  process.exit(2);
}
if (!['responses', 'chat', 'anthropic'].includes(opt.target)) {
  console.log(`Bail out! --target is responses, chat or anthropic, not ${opt.target}`);
  process.exit(2);
}

// The AI SDK prints warnings (a model name it does not know as a reasoning model) that are no TAP.
globalThis.AI_SDK_LOG_WARNINGS = false;

const { check, thrown, describe, done } = startTap({
  APIError,
  watchdogMs: WATCHDOG_MS,
  // The AI SDK's errors.
  describeOther: (e) => (APICallError.isInstance(e)
    ? `${e.name}: ${e.message}\nstatus: ${e.statusCode}  body: ${e.responseBody}`
    : undefined),
});

const clients = new Set(opt.clients.split(','));
const baseURL = opt['base-url'];
const client = new OpenAI({ baseURL, apiKey: opt.key, maxRetries: 0, timeout: 10000 });
const aiOpenAI = createOpenAI({ baseURL, apiKey: opt.key });
const chatModel = (model, more = {}) => new ChatOpenAI({
  model, apiKey: opt.key, useResponsesApi: true, maxRetries: 0, timeout: 10000, configuration: { baseURL }, ...more,
});

// ---------------------------------------------------------------------------
// What the mocks send, as the Responses API says it

const TEXT = 'Hello, "wörld"! ✓\nBye.';
const usage = (input, cached, output, reasoning) => ({ input, cached, output, reasoning, total: input + output });
const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'The current weather in a city.',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city'],
  },
  strict: false,
};
const failedBy = (status) => new RegExp(`failed; the last answered HTTP ${status}\\.$`);

// Per target: the text model, the fixtures' prefix, what the JSON answer and the stream are
// (text, usage: input tokens with the cached ones among them, output tokens with the reasoning
// ones; reasoning undefined where the upstream gives no count), the model names the answer may
// carry, and the fixtures each target has.
const TARGETS = {
  responses: {
    model: 'gpt-4.1-mini',
    prefix: 'resp-mock-',
    json: { text: TEXT, usage: usage(2048, 1920, 12, 0), models: ['gpt-4.1-mini-2025-04-14'] },
    stream: { text: TEXT, usage: usage(2048, 1920, 12, 0), models: ['gpt-4.1-mini-2025-04-14'] },
    tools: {
      text: '',
      calls: [
        { call_id: 'call_AigwMockParis0000000001', args: { city: 'Paris', unit: 'celsius' } },
        { call_id: 'call_AigwMockTokyo0000000002', args: { city: 'Tokyo', unit: 'celsius' } },
      ],
    },
    reasoning: { model: 'reasoning', summary: '**Greeting the user**\n\nA short hello is enough.', text: 'Hi! How can I help?',
                 usage: usage(47, 0, 102, 64) },
    incomplete: { model: 'incomplete', text: 'Once upon a' },
    failed: { model: 'failed', text: 'Hello', message: /^An error occurred while processing your request\./ },
    errors: [
      [400, BadRequestError, /^Invalid type for 'max_output_tokens': expected an integer, but got a string instead\.$/],
      [401, AuthenticationError, /^Incorrect API key provided: /],
      [404, NotFoundError, /^The model `resp-mock-404` does not exist or you do not have access to it\.$/],
      [429, RateLimitError, /^Rate limit reached for gpt-4\.1-mini in organization org-aigwmock|failed; the last answered HTTP 429\.$/],
      [500, InternalServerError, /^The server had an error while processing your request\. Sorry about that!$|failed; the last answered HTTP 500\.$/],
    ],
  },
  chat: {
    model: 'gpt-5-codex',
    // /json/ of the chat mock: an o1 answer with cached and reasoning tokens; /stream/: the
    // reference stream.
    json: { text: 'Hello! How can I help you today?', usage: usage(2006, 1920, 300, 192), models: ['o1-2024-12-17'] },
    stream: { text: 'Hello, world! Bye.', usage: usage(12, 4, 7, 3), models: ['gpt-4o-mini-2024-07-18'] },
  },
  anthropic: {
    model: 'claude-sonnet-4-5',
    prefix: 'claude-mock-',
    // Anthropic counts new, cache-written and cache-read input apart; the Responses API's
    // input_tokens is all of them, cached_tokens the part read from the cache.
    json: { text: TEXT, usage: usage(21 + 1552 + 3072, 3072, 12), models: ['claude-sonnet-4-5-20250929'] },
    stream: { text: TEXT, usage: usage(21 + 1552 + 3072, 3072, 12), models: ['claude-sonnet-4-5-20250929'] },
    tools: {
      text: "I'll look up the weather in Paris.",
      calls: [{ call_id: 'toolu_01AigwMockGetWeatherCall', args: { city: 'Paris', unit: 'celsius' } }],
    },
    reasoning: { model: 'thinking', thinking: 'The user wants a greeting. Keep it short.', text: 'Hi! How can I help?' },
    incomplete: { model: 'max-tokens', text: 'Once upon a' },
    failed: { model: 'stream-error', text: 'Hello', message: /Overloaded/ },
    errors: [
      [400, BadRequestError, /^max_tokens: Field required$/],
      [401, AuthenticationError, /^invalid x-api-key$/],
      [429, RateLimitError, failedBy(429)],
      [529, InternalServerError, failedBy(529)],
    ],
  },
};
const T = TARGETS[opt.target];
const MODEL = opt.model ?? T.model;
const mock = (name) => `${opt['mock-prefix'] ?? T.prefix}${name}`;
const input = [{ role: 'user', content: 'Say hello to the wörld ✓' }];
const ask = (model, more = {}) => ({ model, input, max_output_tokens: 1024, ...more });

// The usage of a response as {input, cached, output, reasoning, total}.
const usageOf = (u) => ({
  input: u?.input_tokens,
  cached: u?.input_tokens_details?.cached_tokens,
  output: u?.output_tokens,
  reasoning: u?.output_tokens_details?.reasoning_tokens,
  total: u?.total_tokens,
});
function assertUsage(got, want, what = 'usage') {
  const g = { ...got };
  if (want.reasoning === undefined) delete g.reasoning;
  assert.deepEqual(g, Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined)), what);
}
const calls = (r) => r.output.filter((o) => o.type === 'function_call');
const messagesOf = (r) => r.output.filter((o) => o.type === 'message');
const textOf = (r) => messagesOf(r).flatMap((m) => m.content).filter((c) => c.type === 'output_text').map((c) => c.text).join('');
const modelOk = (got, models) => assert.ok([MODEL, ...models].includes(got), `model ${got}`);

// One responses.create stream, gathered: its events by type, the text, and the error that ended it.
async function gather(params) {
  const stream = await client.responses.create({ ...params, stream: true });
  const out = { events: [], text: '', error: undefined };
  try {
    for await (const e of stream) {
      out.events.push(e);
      if (e.type === 'response.output_text.delta') out.text += e.delta;
    }
  } catch (e) {
    out.error = e;
  }
  out.types = out.events.map((e) => e.type);
  out.last = out.events.at(-1);
  return out;
}

// The stream's events must be numbered in order and belong to one response.
function assertWellFormed(s) {
  assert.equal(s.error, undefined, s.error && describe(s.error));
  assert.equal(s.types[0], 'response.created', 'the first event is response.created');
  const seq = s.events.map((e) => e.sequence_number);
  assert.deepEqual(seq, [...seq].sort((a, b) => a - b), 'sequence numbers in order');
  assert.equal(new Set(seq).size, seq.length, 'no sequence number twice');
  const ids = new Set(s.events.filter((e) => e.response).map((e) => e.response.id));
  assert.equal(ids.size, 1, `one response id: ${[...ids]}`);
}

// ---------------------------------------------------------------------------
// The openai SDK

if (clients.has('openai')) {
  await check('openai responses.create: the text, status completed, usage with cached tokens, a request id', async () => {
    const { data: r, request_id } = await client.responses.create(ask(MODEL)).withResponse();
    assert.equal(r.object, 'response');
    assert.match(r.id, /^resp_/);
    assert.equal(r.status, 'completed');
    modelOk(r.model, T.json.models);
    assert.equal(r.output_text, T.json.text);
    assert.equal(textOf(r), T.json.text);
    assert.equal(messagesOf(r).length, 1, 'one message');
    assert.equal(messagesOf(r)[0].role, 'assistant');
    assertUsage(usageOf(r.usage), T.json.usage);
    assert.equal(typeof request_id, 'string');
    assert.ok(request_id.length > 0, 'a request id');
  });

  await check('openai responses.create stream: created ... completed, the text in deltas, usage at the end', async () => {
    const s = await gather(ask(MODEL));
    assertWellFormed(s);
    assert.equal(s.last.type, 'response.completed');
    assert.equal(s.text, T.stream.text);
    assert.ok(s.types.filter((t) => t === 'response.output_text.delta').length > 1, 'the text comes in pieces');
    for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.done',
                     'response.content_part.done', 'response.output_item.done']) {
      assert.ok(s.types.includes(t), t);
    }
    const done = s.events.find((e) => e.type === 'response.output_text.done');
    assert.equal(done.text, T.stream.text, 'output_text.done has the whole text');
    const added = s.events.find((e) => e.type === 'response.output_item.added');
    for (const e of s.events.filter((x) => x.type === 'response.output_text.delta')) {
      assert.equal(e.item_id, added.item.id, 'the deltas belong to the added item');
      assert.equal(e.output_index, added.output_index);
      assert.equal(e.content_index, 0);
    }
    assert.equal(s.last.response.status, 'completed');
    assert.equal(textOf(s.last.response), T.stream.text, 'the completed response holds the text');
    modelOk(s.last.response.model, T.stream.models);
    assertUsage(usageOf(s.last.response.usage), T.stream.usage);
    assert.equal(s.events[0].response.usage ?? null, null, 'no usage before the end');
  });

  await check('openai responses.stream: text deltas as they come, finalResponse() with the text and usage', async () => {
    const stream = client.responses.stream(ask(MODEL));
    const deltas = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const r = await stream.finalResponse();
    assert.equal(deltas.join(''), T.stream.text);
    assert.equal(r.output_text, T.stream.text);
    assert.equal(r.status, 'completed');
    assertUsage(usageOf(r.usage), T.stream.usage);
  });

  if (T.tools) {
    const n = T.tools.calls.length;
    await check(`openai responses.create with function tools: ${n === 1 ? 'a function call' : `${n} function calls in parallel`}`, async () => {
      const r = await client.responses.create(ask(mock('tool'), { tools: [WEATHER_TOOL], parallel_tool_calls: true }));
      assert.equal(r.status, 'completed');
      assert.deepEqual(calls(r).map((c) => ({ call_id: c.call_id, name: c.name, args: JSON.parse(c.arguments) })),
                       T.tools.calls.map((c) => ({ ...c, name: 'get_weather' })));
      assert.equal(new Set(calls(r).map((c) => c.id)).size, n, 'each call an item of its own');
      assert.equal(textOf(r), T.tools.text);
    });

    await check('openai responses.create stream with function tools: the arguments in deltas, done whole', async () => {
      const s = await gather(ask(mock('tool'), { tools: [WEATHER_TOOL] }));
      assertWellFormed(s);
      const added = s.events.filter((e) => e.type === 'response.output_item.added' && e.item.type === 'function_call');
      assert.equal(added.length, n);
      for (const [i, want] of T.tools.calls.entries()) {
        const a = added[i];
        assert.equal(a.item.call_id, want.call_id);
        assert.equal(a.item.name, 'get_weather');
        const pieces = s.events.filter((e) => e.type === 'response.function_call_arguments.delta' && e.item_id === a.item.id);
        assert.ok(pieces.length > 1, `call ${i}: the arguments in pieces`);
        assert.deepEqual(JSON.parse(pieces.map((e) => e.delta).join('')), want.args);
        const done = s.events.find((e) => e.type === 'response.function_call_arguments.done' && e.item_id === a.item.id);
        assert.deepEqual(JSON.parse(done.arguments), want.args, `call ${i}: arguments.done`);
      }
      assert.equal(s.last.type, 'response.completed');
      assert.equal(calls(s.last.response).length, n, 'the completed response holds the calls');
    });
  }

  if (T.reasoning) {
    const R = T.reasoning;
    await check('openai responses.stream of a reasoning model: the reasoning, then the text', async () => {
      const stream = client.responses.stream(ask(mock(R.model), { reasoning: { effort: 'medium', summary: 'auto' } }));
      const types = [];
      stream.on('event', (e) => types.push(e.type));
      const r = await stream.finalResponse();
      assert.equal(r.output_text, R.text);
      const kinds = r.output.map((o) => o.type);
      assert.deepEqual(kinds.slice(-2), ['reasoning', 'message'], `output ${kinds}`);
      const rs = r.output.find((o) => o.type === 'reasoning');
      const said = [...(rs.summary ?? []), ...(rs.content ?? [])].map((p) => p.text).join('');
      assert.equal(said, R.summary ?? R.thinking, 'the reasoning the model gave');
      assert.ok(types.some((t) => /^response\.reasoning_(summary_)?text\.delta$/.test(t)), 'the reasoning streamed in deltas');
      if (R.usage) assertUsage(usageOf(r.usage), R.usage);
    });
  }

  if (T.incomplete) {
    await check('openai max_output_tokens: status incomplete, the reason, the text so far; streamed, response.incomplete', async () => {
      const r = await client.responses.create(ask(mock(T.incomplete.model), { max_output_tokens: 16 }));
      assert.equal(r.status, 'incomplete');
      assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
      assert.equal(r.output_text, T.incomplete.text);
      const s = await gather(ask(mock(T.incomplete.model), { max_output_tokens: 16 }));
      assertWellFormed(s);
      assert.equal(s.last.type, 'response.incomplete');
      assert.ok(!s.types.includes('response.completed'), 'no response.completed');
      assert.equal(s.text, T.incomplete.text);
      assert.equal(s.last.response.incomplete_details?.reason, 'max_output_tokens');
    });
  }

  if (T.failed) {
    await check('openai a stream that fails: the text before, then response.failed (or an error)', async () => {
      const s = await gather(ask(mock(T.failed.model)));
      assert.equal(s.text, T.failed.text);
      assert.ok(!s.types.includes('response.completed'), 'no response.completed');
      if (s.error) {
        assert.ok(s.error instanceof APIError, `an APIError, not ${describe(s.error)}`);
        assert.match(s.error.message, T.failed.message);
      } else {
        assert.equal(s.last.type, 'response.failed', `the last event is ${s.last.type}`);
        assert.equal(s.last.response.status, 'failed');
        assert.match(s.last.response.error?.message ?? '', T.failed.message);
      }
    });
  }

  for (const [status, Class, message] of T.errors ?? []) {
    await check(`openai ${status} -> ${Class.name} with OpenAI's error object`, async () => {
      const e = await thrown(() => client.responses.create(ask(mock(status), { stream: true })));
      assert.ok(e instanceof Class, `expected ${Class.name}, got ${describe(e)}`);
      assert.equal(typeof e.error, 'object', 'err.error is the error object');
      assert.match(e.error.message, message);
      // A gateway's model table falls back on 5xx, then answers with the last status, a 500
      // as 502 (what is behind it failed).
      const routed = /failed; the last answered HTTP \d+\.$/.test(e.error.message);
      assert.equal(e.status, routed && status === 500 ? 502 : status);
      assert.ok(e.requestID, 'a request id');
    });
  }

  if (opt.target === 'responses') {
    await check('openai responses.compact: a response.compaction ending in one compaction item', async () => {
      const c = await client.responses.compact({ model: MODEL, input: [{ role: 'user', content: 'Say hello.' }] });
      assert.equal(c.object, 'response.compaction');
      assert.equal(c.output.at(-1).type, 'compaction');
      assert.match(c.output.at(-1).encrypted_content, /^gAAAA/);
      assertUsage(usageOf(c.usage), usage(4100, 0, 620, 0));
    });
  }

  if (opt.stored) {
    const id = 'resp_0a16aigw0mock0text0000000000000000000000000000001';
    await check('openai stored response: retrieve, list its input items, delete; an unknown id is NotFoundError', async () => {
      const r = await client.responses.retrieve(id);
      assert.equal(r.id, id);
      assert.equal(r.output_text, TEXT);
      const items = await client.responses.inputItems.list(id);
      assert.deepEqual(items.data.map((i) => [i.type, i.role, i.content[0].text]), [['message', 'user', 'Say hello.']]);
      const d = await client.responses.delete(id);
      assert.equal(d?.deleted, true);
      const e = await thrown(() => client.responses.retrieve('resp_nope'));
      assert.ok(e instanceof NotFoundError, describe(e));
      assert.equal(e.error.message, "Response with id 'resp_nope' not found.");
    });
  }
}

// ---------------------------------------------------------------------------
// The Vercel AI SDK: openai(model) is a Responses model

if (clients.has('ai')) {
  const aiUsage = (u) => ({
    input: u.inputTokens, cached: u.inputTokenDetails?.cacheReadTokens ?? u.cachedInputTokens,
    output: u.outputTokens, reasoning: u.outputTokenDetails?.reasoningTokens ?? u.reasoningTokens, total: u.totalTokens,
  });

  await check('ai generateText: the text, finishReason stop, usage, the response id', async () => {
    const r = await generateText({ model: aiOpenAI(MODEL), prompt: 'Say hello.', maxRetries: 0 });
    assert.equal(r.text, T.json.text);
    assert.equal(r.finishReason, 'stop');
    assertUsage(aiUsage(r.usage), T.json.usage);
    assert.match(r.providerMetadata?.openai?.responseId ?? '', /^resp_/);
    modelOk(r.response.modelId, T.json.models);
  });

  await check('ai streamText: the text in deltas, finishReason stop, usage', async () => {
    const r = streamText({ model: aiOpenAI(MODEL), prompt: 'Say hello.', maxRetries: 0 });
    const pieces = [];
    for await (const t of r.textStream) pieces.push(t);
    assert.ok(pieces.length > 1, 'the text comes in pieces');
    assert.equal(pieces.join(''), T.stream.text);
    assert.equal(await r.finishReason, 'stop');
    assertUsage(aiUsage(await r.usage), T.stream.usage);
  });

  if (T.tools) {
    await check('ai generateText with a tool: the tool calls, finishReason tool-calls', async () => {
      const r = await generateText({
        model: aiOpenAI(mock('tool')),
        prompt: 'What is the weather in Paris?',
        maxRetries: 0,
        tools: { get_weather: tool({ description: WEATHER_TOOL.description, inputSchema: jsonSchema(WEATHER_TOOL.parameters) }) },
      });
      assert.equal(r.finishReason, 'tool-calls');
      assert.deepEqual(r.toolCalls.map((c) => ({ call_id: c.toolCallId, name: c.toolName, args: c.input })),
                       T.tools.calls.map((c) => ({ ...c, name: 'get_weather' })));
    });
  }

  if (T.reasoning) {
    await check('ai streamText of a reasoning model: reasoning deltas, then the text', async () => {
      const r = streamText({ model: aiOpenAI(mock(T.reasoning.model)), prompt: 'Say hello.', maxRetries: 0 });
      const kinds = [];
      for await (const p of r.fullStream) if (['reasoning-delta', 'text-delta'].includes(p.type)) kinds.push(p.type);
      assert.ok(kinds.indexOf('reasoning-delta') >= 0 && kinds.indexOf('reasoning-delta') < kinds.indexOf('text-delta'),
                `reasoning before text: ${kinds}`);
      assert.equal(await r.text, T.reasoning.text);
      assert.equal(await r.reasoningText, T.reasoning.summary ?? T.reasoning.thinking);
    });
  }

  if (T.incomplete) {
    await check('ai max_output_tokens: finishReason length, the text so far', async () => {
      const r = await generateText({ model: aiOpenAI(mock(T.incomplete.model)), prompt: 'A story.', maxOutputTokens: 16, maxRetries: 0 });
      assert.equal(r.finishReason, 'length');
      assert.equal(r.text, T.incomplete.text);
    });
  }

  const rate = (T.errors ?? []).find(([status]) => status === 429);
  if (rate) {
    await check('ai a 429: APICallError with statusCode 429', async () => {
      const e = await thrown(() => generateText({ model: aiOpenAI(mock(429)), prompt: 'Say hello.', maxRetries: 0 }));
      assert.ok(APICallError.isInstance(e), `an APICallError, not ${describe(e)}`);
      assert.equal(e.statusCode, 429);
      assert.match(e.message, rate[2]);
    });
  }
}

// ---------------------------------------------------------------------------
// LangChain: ChatOpenAI with useResponsesApi

if (clients.has('langchain')) {
  const lcUsage = (u) => ({
    input: u?.input_tokens, cached: u?.input_token_details?.cache_read,
    output: u?.output_tokens, reasoning: u?.output_token_details?.reasoning, total: u?.total_tokens,
  });

  await check('langchain invoke: the text, usage_metadata with cache reads, the response id', async () => {
    const m = await chatModel(MODEL).invoke('Say hello.');
    assert.equal(m.text, T.json.text);
    assertUsage(lcUsage(m.usage_metadata), T.json.usage);
    assert.match(m.response_metadata?.id ?? m.id ?? '', /^resp_/);
  });

  await check('langchain stream: the text in chunks, usage on the gathered message', async () => {
    let all;
    const pieces = [];
    for await (const c of await chatModel(MODEL).stream('Say hello.')) {
      if (c.text) pieces.push(c.text);
      all = all ? all.concat(c) : c;
    }
    assert.ok(pieces.length > 1, 'the text comes in pieces');
    assert.equal(pieces.join(''), T.stream.text);
    assert.equal(all.text, T.stream.text);
    assertUsage(lcUsage(all.usage_metadata), T.stream.usage);
  });

  if (T.tools) {
    await check('langchain bindTools: the tool calls with their ids and arguments', async () => {
      // LangChain takes a tool in Chat Completions' shape (a flat Responses one it drops).
      const { name, description, parameters } = WEATHER_TOOL;
      const m = await chatModel(mock('tool')).bindTools([{ type: 'function', function: { name, description, parameters } }])
        .invoke('What is the weather in Paris?');
      assert.deepEqual(m.tool_calls.map((c) => ({ call_id: c.id, name: c.name, args: c.args })),
                       T.tools.calls.map((c) => ({ ...c, name: 'get_weather' })));
    });
  }

  const rate = (T.errors ?? []).find(([status]) => status === 429);
  if (rate) {
    await check('langchain a 429: the error with status 429', async () => {
      const e = await thrown(() => chatModel(mock(429)).invoke('Say hello.'));
      assert.equal(e.status, 429, describe(e));
      assert.match(e.error?.message ?? '', rate[2]);
    });
  }
}

done();
