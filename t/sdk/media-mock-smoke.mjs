// Smoke test of OpenAI's image and video APIs with the official `openai` SDK as the client,
// against the mock of those APIs itself (t/099-media-mock.t): the SDK must parse every answer the
// mock gives, so the mock's shapes are the ones OpenAI's own client expects.
//
//   node t/sdk/media-mock-smoke.mjs --base-url http://127.0.0.1:2153/v1 --key sk-... --file upload.bin
//
// Prints TAP (`ok N - ...`, `not ok N - ...`, `1..N`) and exits non-zero if any check fails. The
// expectations are what t/lib/Test/AIGW/Mock/Media.pm answers. Options (each also from the
// environment):
//   --base-url URL        AIGW_BASE_URL         the client's baseURL (with /v1), a mock whose jobs
//                                               queue for 0.5 s or more and are done within 5 s
//   --key KEY             AIGW_KEY              the API key (default sk-test)
//   --file PATH           AIGW_MEDIA_FILE       the file uploaded as an image to edit and vary, and
//                                               as a video's input_reference
//   --retry-base-url URL  AIGW_RETRY_BASE_URL   a mock started with fail_polls => 2: the SDK's own
//                                               retries must get the job past the two 500s
// Only the SDK, node built-ins and the TAP of ./tap.mjs are used.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import OpenAI, {
  APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError, toFile,
} from 'openai';

import { startTap } from './tap.mjs';

const { values: opt } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AIGW_BASE_URL },
    key: { type: 'string', default: process.env.AIGW_KEY ?? 'sk-test' },
    file: { type: 'string', default: process.env.AIGW_MEDIA_FILE },
    'retry-base-url': { type: 'string', default: process.env.AIGW_RETRY_BASE_URL },
  },
});

if (!opt['base-url'] || !opt.file) {
  console.log('Bail out! no --base-url or --file (or AIGW_BASE_URL, AIGW_MEDIA_FILE)');
  process.exit(2);
}

const { check, skip, thrown, done } = startTap({ APIError });

// No retries but where a check asks for them: an error must reach the check as the mock sent it.
const client = new OpenAI({ baseURL: opt['base-url'], apiKey: opt.key, maxRetries: 0, timeout: 20_000 });
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPng = (b64) => typeof b64 === 'string' && Buffer.from(b64, 'base64').subarray(0, 8).equals(PNG);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const prompt = 'A mock otter';      // 12 bytes: 3 text tokens

// Polls a job until it is done (10 s at most): the statuses seen, in order without repeats, and
// the last job.
async function settle(c, id) {
  const seen = [];
  let last;
  const progress = [];
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    last = await c.videos.retrieve(id);
    if (seen.at(-1) !== last.status) seen.push(last.status);
    progress.push(last.progress);
    if (last.status === 'completed' || last.status === 'failed') break;
    await sleep(50);
  }
  return { seen, last, progress };
}

// ---- images ----

await check('images.generate (gpt-image-1, n=2): b64_json PNGs, the parameters used, the usage', async () => {
  const r = await client.images.generate({ model: 'gpt-image-1', prompt, n: 2, size: '1536x1024', quality: 'low' });
  assert.equal(typeof r.created, 'number');
  assert.equal(r.data.length, 2);
  assert.ok(r.data.every((d) => isPng(d.b64_json) && d.url === undefined), 'two base64 PNGs, no url');
  assert.deepEqual([r.background, r.output_format, r.quality, r.size], ['opaque', 'png', 'low', '1536x1024']);
  assert.deepEqual(r.usage, {
    input_tokens: 3, input_tokens_details: { image_tokens: 0, text_tokens: 3 }, output_tokens: 800, total_tokens: 803,
  });
});

await check('images.generate (dall-e-3): a url and a revised_prompt, no usage', async () => {
  const r = await client.images.generate({ model: 'dall-e-3', prompt });
  assert.equal(r.data.length, 1);
  assert.match(r.data[0].url, /^https:\/\/.+\.png\?/);
  assert.match(r.data[0].revised_prompt, /^A mock otter/);
  assert.equal(r.usage, undefined);
  const b64 = await client.images.generate({ model: 'dall-e-3', prompt, response_format: 'b64_json' });
  assert.ok(isPng(b64.data[0].b64_json) && b64.data[0].url === undefined, 'response_format b64_json: the image itself');
});

await check('images.generate stream: partial images, then the completed image with the usage', async () => {
  const stream = await client.images.generate({ model: 'gpt-image-1', prompt, stream: true, partial_images: 2 });
  const events = [];
  for await (const e of stream) events.push(e);
  assert.deepEqual(events.map((e) => e.type),
    ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
  assert.deepEqual(events.slice(0, 2).map((e) => e.partial_image_index), [0, 1]);
  assert.ok(events.every((e) => isPng(e.b64_json) && e.size === '1024x1024' && e.quality === 'medium'));
  assert.equal(events[2].usage.output_tokens, 1056 + 2 * 100, 'medium 1024x1024, and 100 a partial image');
});

await check('images.edit with a file: usage counts the input image', async () => {
  const r = await client.images.edit({ model: 'gpt-image-1', image: fs.createReadStream(opt.file), prompt, quality: 'high' });
  assert.ok(isPng(r.data[0].b64_json));
  assert.deepEqual(r.usage.input_tokens_details, { image_tokens: 323, text_tokens: 3 });
  assert.equal(r.usage.output_tokens, 4160);
});

await check('images.edit with two images (image[]) and a mask', async () => {
  const bytes = fs.readFileSync(opt.file);
  const r = await client.images.edit({
    model: 'gpt-image-1-mini', prompt,
    image: [await toFile(bytes, 'first.png', { type: 'image/png' }), await toFile(bytes, 'second.png', { type: 'image/png' })],
    mask: await toFile(bytes, 'mask.png', { type: 'image/png' }),
  });
  assert.equal(r.usage.input_tokens_details.image_tokens, 2 * 323);
});

await check('images.edit stream: image_edit.partial_image, then image_edit.completed', async () => {
  const stream = await client.images.edit({
    model: 'gpt-image-1', image: fs.createReadStream(opt.file), prompt, stream: true, partial_images: 1,
  });
  const events = [];
  for await (const e of stream) events.push(e);
  assert.deepEqual(events.map((e) => e.type), ['image_edit.partial_image', 'image_edit.completed']);
  assert.equal(events[1].usage.input_tokens_details.image_tokens, 323);
});

await check('images.createVariation: dall-e-2 urls', async () => {
  const r = await client.images.createVariation({ image: fs.createReadStream(opt.file), n: 2 });
  assert.equal(r.data.length, 2);
  assert.ok(r.data.every((d) => /^https:/.test(d.url)));
});

await check('image errors: 429 RateLimitError with retry-after, 400 BadRequestError with param, 500', async () => {
  const limited = await thrown(() => client.images.generate({ model: 'image-429', prompt }));
  assert.ok(limited instanceof RateLimitError, `a RateLimitError, not ${limited?.constructor?.name}`);
  assert.equal(limited.headers.get('retry-after'), '2');
  assert.equal(limited.code, 'rate_limit_exceeded');
  const bad = await thrown(() => client.images.generate({ model: 'image-400', prompt }));
  assert.ok(bad instanceof BadRequestError);
  assert.deepEqual([bad.param, bad.code, bad.type], ['quality', 'invalid_value', 'invalid_request_error']);
  assert.ok(await thrown(() => client.images.generate({ model: 'image-500', prompt })) instanceof InternalServerError);
  const noImage = await thrown(() => client.images.edit({ model: 'gpt-image-1', prompt, image: [] }));
  assert.ok(noImage instanceof BadRequestError && noImage.param === 'image', 'an edit without an image: 400, param image');
});

await check('a wrong key: AuthenticationError, invalid_api_key', async () => {
  const wrong = new OpenAI({ baseURL: opt['base-url'], apiKey: 'sk-not-the-right-key-0000', maxRetries: 0 });
  const e = await thrown(() => wrong.videos.list());
  assert.ok(e instanceof AuthenticationError, `an AuthenticationError, not ${e?.constructor?.name}`);
  assert.equal(e.code, 'invalid_api_key');
});

// ---- videos ----

let video;
let failed;
await check('videos.create (multipart, an input_reference file): a queued job', async () => {
  const reference = await toFile(fs.readFileSync(opt.file), 'reference.png', { type: 'image/png' });
  video = await client.videos.create({
    model: 'sora-2-pro', prompt: 'A mock otter surfing', seconds: '8', size: '1280x720', input_reference: reference,
  });
  assert.match(video.id, /^video_[0-9a-f]{48}$/);
  assert.deepEqual(
    [video.object, video.status, video.model, video.prompt, video.seconds, video.size, video.progress, video.completed_at,
      video.expires_at, video.error, video.remixed_from_video_id],
    ['video', 'queued', 'sora-2-pro', 'A mock otter surfing', '8', '1280x720', 0, null, null, null, null]);
  assert.equal((await client.videos.retrieve(video.id)).status, 'queued', 'still queued when retrieved at once');
  failed = await client.videos.create({ model: 'sora-fail', prompt: 'A mock otter' });
});

await check('videos.downloadContent before the job is done: NotFoundError, not ready', async () => {
  const e = await thrown(() => client.videos.downloadContent(video.id));
  assert.ok(e instanceof NotFoundError, `a NotFoundError, not ${e?.constructor?.name}`);
  assert.match(e.message, /not ready yet/);
});

await check('videos.retrieve: (queued,) in_progress, completed; progress never goes down', async () => {
  const { seen, last, progress } = await settle(client, video.id);
  assert.deepEqual(seen, ['queued', 'in_progress', 'completed'].slice(-seen.length));
  assert.ok(seen.includes('in_progress'), `in_progress seen: ${seen}`);
  assert.ok(progress.every((p, i) => i === 0 || p >= progress[i - 1]), `progress ${progress}`);
  assert.equal(last.progress, 100);
  assert.equal(last.expires_at, last.completed_at + 86400);
  assert.ok(last.completed_at >= last.created_at);
});

await check('videos.downloadContent: the video/mp4 bytes, their length and SHA-256 as the mock says', async () => {
  const res = await client.videos.downloadContent(video.id);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.headers.get('content-type'), 'video/mp4');
  assert.equal(bytes.length, Number(res.headers.get('content-length')));
  assert.equal(bytes.length, 2 * 1024 * 1024);
  assert.equal(sha256(bytes), res.headers.get('x-mock-sha256'));
  assert.equal(bytes.subarray(4, 8).toString(), 'ftyp');
});

await check('videos.downloadContent variant thumbnail: image/webp', async () => {
  const res = await client.videos.downloadContent(video.id, { variant: 'thumbnail' });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.headers.get('content-type'), 'image/webp');
  assert.equal(sha256(bytes), res.headers.get('x-mock-sha256'));
  assert.equal(bytes.subarray(0, 4).toString(), 'RIFF');
});

let remix;
await check('videos.remix: a new queued job, remixed_from_video_id, the same model, seconds and size', async () => {
  remix = await client.videos.remix(video.id, { prompt: 'The otter, at night' });
  assert.notEqual(remix.id, video.id);
  assert.deepEqual([remix.status, remix.remixed_from_video_id, remix.model, remix.seconds, remix.size, remix.prompt],
    ['queued', video.id, 'sora-2-pro', '8', '1280x720', 'The otter, at night']);
});

await check('a failed job (model sora-fail): status failed, error video_generation_failed, no content', async () => {
  const { seen, last } = await settle(client, failed.id);
  assert.equal(seen.at(-1), 'failed');
  assert.equal(last.error.code, 'video_generation_failed');
  assert.equal(typeof last.error.message, 'string');
  assert.ok(await thrown(() => client.videos.downloadContent(failed.id)) instanceof NotFoundError);
});

await check('videos.list: pages of one, has_more, and auto-pagination over every job', async () => {
  const page = await client.videos.list({ limit: 1 });
  assert.equal(page.data.length, 1);
  assert.equal(page.has_more, true);
  assert.equal(page.data[0].id, remix.id, 'newest first');
  const ids = [];
  for await (const v of client.videos.list({ limit: 1, order: 'asc' })) ids.push(v.id);
  assert.deepEqual(ids, [video.id, failed.id, remix.id]);
});

await check('videos.delete: video.deleted, then retrieve is a NotFoundError', async () => {
  const d = await client.videos.delete(video.id);
  assert.deepEqual(d, { id: video.id, object: 'video.deleted', deleted: true });
  const e = await thrown(() => client.videos.retrieve(video.id));
  assert.ok(e instanceof NotFoundError, `a NotFoundError, not ${e?.constructor?.name}`);
  assert.equal(e.type, 'invalid_request_error');
});

if (opt['retry-base-url']) {
  await check('videos.retrieve past two 500s: the SDK retries them', async () => {
    const retrying = new OpenAI({ baseURL: opt['retry-base-url'], apiKey: opt.key, maxRetries: 2, timeout: 20_000 });
    const created = await retrying.videos.create({ prompt: 'A mock otter' });
    const got = await retrying.videos.retrieve(created.id);
    assert.equal(got.id, created.id);
  });
} else {
  skip('videos.retrieve past two 500s', 'no --retry-base-url');
}

done();
