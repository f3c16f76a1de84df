// The official `openai` SDK against the gateway's images and video endpoints (t/118-media.t puts
// the OpenAI media mock, Test::AIGW::Mock::Media, behind it):
//
//   AIGW_BASE_URL=http://127.0.0.1:2160/v1 AIGW_KEY=... AIGW_OTHER_KEY=... AIGW_CHAT_KEY=... \
//   AIGW_CALLBACK_URL=http://127.0.0.1:2164/hook AIGW_FORBIDDEN_CALLBACK_URL=http://10.1.2.3/ \
//   AIGW_OUT=/tmp/ids.json node t/sdk/media-smoke.mjs
//
// AIGW_KEY may use images and videos; AIGW_OTHER_KEY is another key allowed the same;
// AIGW_CHAT_KEY may use chat only. The ids of the tasks it made are written as JSON to AIGW_OUT,
// for the .t file's checks of billing, records and callbacks. Prints TAP (see tap.mjs).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import OpenAI, { APIError, BadRequestError, NotFoundError, PermissionDeniedError, toFile } from 'openai';

import { startTap } from './tap.mjs';

const env = process.env;
for (const name of ['AIGW_BASE_URL', 'AIGW_KEY', 'AIGW_OTHER_KEY', 'AIGW_CHAT_KEY', 'AIGW_OUT']) {
  if (!env[name]) {
    console.log(`Bail out! ${name} is not set`);
    process.exit(2);
  }
}

const { check, done } = startTap({ APIError, watchdogMs: 120_000 });

const clientFor = (apiKey) =>
  new OpenAI({ baseURL: env.AIGW_BASE_URL, apiKey, maxRetries: 0, timeout: 30_000 });
const client = clientFor(env.AIGW_KEY);
const other = clientFor(env.AIGW_OTHER_KEY);
const chatOnly = clientFor(env.AIGW_CHAT_KEY);
const out = {};

// A 1x1 PNG, the image an edit sends as its file.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(id, statuses, c = client) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await c.videos.retrieve(id);
    if (statuses.includes(v.status) || Date.now() > deadline) {
      return v;
    }
    await sleep(150);
  }
}

async function expectError(promise, Class, status, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status);
    if (code !== undefined) {
      assert.equal(e.code, code);
    }
    assert.equal(typeof e.requestID, 'string', 'the gateway request id');
    return e;
  }
  assert.fail(`expected ${Class.name}`);
}

await check('images.generate (dall-e-3): one image, per-image priced', async () => {
  const r = await client.images.generate({ model: 'dall-e-3', prompt: 'a red fox', size: '1024x1792', quality: 'hd' });
  assert.equal(r.data.length, 1);
  assert.ok(r.data[0].b64_json || r.data[0].url, 'an image');
  assert.equal(r.usage, undefined, 'dall-e answers no usage');
});

await check('images.generate (gpt-image-1): two images with their token usage', async () => {
  const r = await client.images.generate({ model: 'gpt-image-1', prompt: 'a blue bird', n: 2, size: '1024x1024', quality: 'low' });
  assert.equal(r.data.length, 2);
  assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0, JSON.stringify(r.usage));
  out.gptImageUsage = r.usage;
});

await check('images.generate stream: partial images, then the completed one with usage', async () => {
  const stream = await client.images.generate({
    model: 'gpt-image-1', prompt: 'a green frog', stream: true, partial_images: 2, size: '1024x1024', quality: 'low',
  });
  const types = [];
  let completed;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'image_generation.completed') {
      completed = event;
    }
  }
  assert.deepEqual(types, ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
  assert.ok(completed.b64_json.length > 0);
  assert.ok(completed.usage.output_tokens > 0);
  out.streamUsage = completed.usage;
});

await check('images.edit with a file: multipart passed through, usage back', async () => {
  const r = await client.images.edit({
    model: 'gpt-image-1', prompt: 'add a hat', image: await toFile(png, 'cat.png', { type: 'image/png' }),
    size: '1024x1024', quality: 'low',
  });
  assert.equal(r.data.length, 1);
  assert.ok(r.usage.input_tokens > 0);
  out.editSha256 = createHash('sha256').update(png).digest('hex');
});

await check('images.createVariation (dall-e-2, multipart): two images', async () => {
  const r = await client.images.createVariation({
    model: 'dall-e-2', image: await toFile(png, 'cat.png', { type: 'image/png' }), n: 2, size: '256x256',
  });
  assert.equal(r.data.length, 2);
});

await check('a chat-only key cannot make images: 403 endpoint_not_allowed', async () => {
  await expectError(chatOnly.images.generate({ model: 'dall-e-3', prompt: 'x' }), PermissionDeniedError, 403,
    'endpoint_not_allowed');
});

await check('a chat-only key cannot start a video: 403 endpoint_not_allowed', async () => {
  await expectError(chatOnly.videos.create({ model: 'sora-2', prompt: 'x' }), PermissionDeniedError, 403,
    'endpoint_not_allowed');
});

let video;
await check('videos.create: a task under the gateway\'s own id', async () => {
  video = await client.videos.create(
    {
      model: 'sora-2', prompt: 'a cat on a skateboard', seconds: '4', size: '720x1280',
      input_reference: await toFile(png, 'ref.png', { type: 'image/png' }),
    },
    env.AIGW_CALLBACK_URL ? { headers: { 'X-Aigw-Callback-Url': env.AIGW_CALLBACK_URL } } : undefined,
  );
  assert.match(video.id, /^video_[0-9a-f]{48}$/);
  assert.equal(video.object, 'video');
  assert.equal(video.model, 'sora-2');
  assert.ok(['queued', 'in_progress'].includes(video.status), video.status);
  assert.equal(video.seconds, '4');
  out.video = video.id;
});

await check('another key polling the same id gets 404', async () => {
  await expectError(other.videos.retrieve(video.id), NotFoundError, 404);
});

await check('videos.retrieve until completed', async () => {
  const v = await until(video.id, ['completed', 'failed']);
  assert.equal(v.status, 'completed');
  assert.equal(v.id, video.id);
  assert.equal(v.progress, 100);
  assert.equal(v.model, 'sora-2');
});

await check('videos.downloadContent: the bytes, streamed through', async () => {
  const response = await client.videos.downloadContent(video.id);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.ok(bytes.length >= 1 << 20, `length ${bytes.length}`);
  assert.equal(response.headers.get('content-type'), 'video/mp4');
  const expected = response.headers.get('x-mock-sha256');
  assert.equal(createHash('sha256').update(bytes).digest('hex'), expected);
});

await check('another key cannot download it: 404', async () => {
  await expectError(other.videos.downloadContent(video.id), NotFoundError, 404);
});

await check('videos.list: the key\'s own tasks only', async () => {
  const mine = [];
  for await (const v of client.videos.list({ limit: 10 })) {
    mine.push(v.id);
  }
  assert.ok(mine.includes(video.id), JSON.stringify(mine));
  const theirs = [];
  for await (const v of other.videos.list()) {
    theirs.push(v.id);
  }
  assert.ok(!theirs.includes(video.id));
});

let remix;
await check('videos.remix: a new task from the finished one', async () => {
  remix = await client.videos.remix(video.id, { prompt: 'now at night' });
  assert.match(remix.id, /^video_[0-9a-f]{48}$/);
  assert.notEqual(remix.id, video.id);
  assert.equal(remix.remixed_from_video_id, video.id);
  const v = await until(remix.id, ['completed', 'failed']);
  assert.equal(v.status, 'completed');
  out.remix = remix.id;
});

await check('videos.delete: gone for the client', async () => {
  const d = await client.videos.delete(remix.id);
  assert.deepEqual([d.id, d.deleted], [remix.id, true]);
  await expectError(client.videos.retrieve(remix.id), NotFoundError, 404);
});

await check('a failed task ends failed, with its error', async () => {
  const v = await client.videos.create({ model: 'sora-2', prompt: 'this one will FAIL', seconds: '8' });
  out.failed = v.id;
  const end = await until(v.id, ['completed', 'failed']);
  assert.equal(end.status, 'failed');
  assert.ok(end.error && end.error.code, JSON.stringify(end.error));
});

if (env.AIGW_FORBIDDEN_CALLBACK_URL) {
  await check('a callback URL to a private address is refused: 400', async () => {
    await expectError(
      client.videos.create({ model: 'sora-2', prompt: 'x' },
        { headers: { 'X-Aigw-Callback-Url': env.AIGW_FORBIDDEN_CALLBACK_URL } }),
      BadRequestError, 400, 'invalid_callback_url');
  });
}

writeFileSync(env.AIGW_OUT, JSON.stringify(out));
done();
