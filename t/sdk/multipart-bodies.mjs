// The multipart/form-data bodies the official `openai` SDK sends for an image edit and for a
// video with an input reference, printed as C++ string literals: the fixtures of
// t/unit/text/test_multipart.cpp were made with it.
//
//   node t/sdk/multipart-bodies.mjs
//
// Nothing is sent: a custom fetch builds the Request the SDK would send (the platform's
// FormData, so the boundary and the encoding are undici's) and prints its Content-Type and body.
// The files are a few bytes with CR, LF, NUL and, in the video's, "\r\n--" followed by the start
// of every undici boundary, so the fixtures cover bytes that begin like a delimiter.

import OpenAI, { toFile } from 'openai';

const out = [];

function literal(bytes) {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n"\n    "';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    // Octal escapes end after three digits, so a digit after one stays a digit.
    else s += '\\' + b.toString(8).padStart(3, '0');
  }
  return (s + '"').replace(/\n {4}""$/, '');
}

async function fetch(url, init) {
  const request = new Request(url, init);
  if (request.method === 'POST') {
    const body = new Uint8Array(await request.arrayBuffer());
    out.push(`// POST ${new URL(request.url).pathname}\n` +
             `// Content-Type: ${request.headers.get('content-type')}\n` +
             `    ${literal(body)}`);
  }
  const answer = { id: 'video_1', object: 'video', status: 'queued', created: 1, data: [] };
  return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
}

const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', fetch, maxRetries: 0 });

const png = Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\rIHDR', 'latin1');
await client.images.edit({
  image: await toFile(png, 'cat.png', { type: 'image/png' }),
  prompt: 'Add a "hat"\nplease',
  model: 'gpt-image-1',
  n: 2,
  size: '1024x1024',
});

const jpeg = Buffer.from('\xff\xd8\xff\xe0JFIF\r\n------formdata-undici-0\r\n--\r\n', 'latin1');
await client.videos.create({
  prompt: 'A cat walks',
  model: 'sora-2',
  seconds: '8',
  size: '1280x720',
  input_reference: await toFile(jpeg, 'ref.jpg', { type: 'image/jpeg' }),
});

console.log(out.join('\n\n'));
