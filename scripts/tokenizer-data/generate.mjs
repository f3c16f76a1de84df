#!/usr/bin/env node
// Writes the token counter's tables (one binary file the module embeds) from two pinned npm
// packages that scripts/install-deps installs here:
//   - tiktoken 1.0.22: the rank tables of o200k_base and cl100k_base, exactly as OpenAI's
//     tiktoken ships them (the same files its WASM build loads);
//   - regenerate-unicode-properties 10.2.0: Unicode 16.0's general categories and White_Space,
//     the Unicode version of the regex engine inside that tiktoken build (a character added in
//     Unicode 17 is no letter to it).
// Every input file is checked against its SHA-256 below before use: a changed package is an
// error, never a silently different tokenizer.
//
// Usage: generate.mjs OUTPUT.bin
//
// Layout (little-endian; src/core/accounting/tokenizer/tables.cpp reads it):
//   "AIGWTOK1", u32 section count (3), then per section u32 offset, u32 size:
//     0 unicode: u16 stage1[0x1100] (block of 256 code points -> stage-2 block number),
//                u8 stage2[blocks * 256] (class bits of each code point);
//     1 o200k_base, 2 cl100k_base: u32 n (tokens, ranks 0..n-1), u32 end[n] (each token's
//                end offset in the byte pool that follows; a token starts where the previous
//                ends), the pool.
// Class bits: 1 Lu or Lt, 2 Ll, 4 Lm or Lo, 8 Mark, 16 Number, 32 White_Space.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const require = createRequire(join(here, "package.json"));

const pinned = {
  "tiktoken/encoders/o200k_base.json": "df53e1a5f146e33a1b144d12ad9d685ee1b54dbc8b0950791ed45c933b119dc1",
  "tiktoken/encoders/cl100k_base.json": "49a4e05dea02c8fafbd50cc4725c4aab8f39386c0afedef118e0dfebc2fe523a",
  "regenerate-unicode-properties/General_Category/Uppercase_Letter.js": "abb2771289363dda797eaa4dd27c398a77e16485b334036abd1fc9e6491ac7e4",
  "regenerate-unicode-properties/General_Category/Lowercase_Letter.js": "a63b32a627870f852b1d68739b9259bd7914a60b1709a02802336266935e42bd",
  "regenerate-unicode-properties/General_Category/Titlecase_Letter.js": "b76f2f8df773d8a0c4f5958f70b429edc287c52fc303af5ee193fb47f72a85e4",
  "regenerate-unicode-properties/General_Category/Modifier_Letter.js": "be5e1b4298aa7685f4a9ceabcc7018b2eae67f9ac007ec1f0e825caff8b7171c",
  "regenerate-unicode-properties/General_Category/Other_Letter.js": "84df77272699acaf7dafaf5a17dcebdb36829265e5bbf7b995aabdad3f3e2d00",
  "regenerate-unicode-properties/General_Category/Mark.js": "8b3c1cbc1a531fd1748b4165e4f757074158ab97b8d25133c72ad0498a1b32fb",
  "regenerate-unicode-properties/General_Category/Number.js": "8403ee2f9d36519293c77b7dccf191ba8fc332b461e88921442f117c508ed717",
  "regenerate-unicode-properties/Binary_Property/White_Space.js": "ff0e0947c6b283d9292df80f3416b1c59c44747c9773b4136fe52070c60fe729",
  "regenerate-unicode-properties/unicode-version.js": "754bc833aac2ef069e8c6b48c75238328d40c0aa3fe246d1e740aa28aeb636b8",
};

function fail(msg) {
  console.error(`tokenizer tables: ${msg}`);
  process.exit(1);
}

const out = process.argv[2];
if (!out) fail("usage: generate.mjs OUTPUT.bin");

for (const [file, sum] of Object.entries(pinned)) {
  let bytes;
  try {
    bytes = readFileSync(join(modules, file));
  } catch {
    fail(`${file} is missing: run scripts/install-deps`);
  }
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== sum) fail(`${file}: SHA-256 ${got}, expected ${sum}`);
}

// Unicode classes, two-stage table.
const classes = new Uint8Array(0x110000);
function mark(file, bit) {
  for (const cp of require(`regenerate-unicode-properties/${file}`).characters.toArray()) {
    classes[cp] |= bit;
  }
}
mark("General_Category/Uppercase_Letter.js", 1);
mark("General_Category/Titlecase_Letter.js", 1);
mark("General_Category/Lowercase_Letter.js", 2);
mark("General_Category/Modifier_Letter.js", 4);
mark("General_Category/Other_Letter.js", 4);
mark("General_Category/Mark.js", 8);
mark("General_Category/Number.js", 16);
mark("Binary_Property/White_Space.js", 32);

const stage1 = new Uint16Array(0x1100);
const blocks = [];
const blockIndex = new Map();
for (let b = 0; b < 0x1100; b++) {
  const block = classes.subarray(b * 256, b * 256 + 256);
  const key = Buffer.from(block).toString("latin1");
  let idx = blockIndex.get(key);
  if (idx === undefined) {
    idx = blocks.length;
    blocks.push(Buffer.from(block));
    blockIndex.set(key, idx);
  }
  stage1[b] = idx;
}
const unicode = Buffer.concat([Buffer.from(stage1.buffer), ...blocks]);

function encodingSection(name) {
  const { bpe_ranks } = JSON.parse(readFileSync(join(modules, `tiktoken/encoders/${name}.json`), "utf8"));
  const tokens = [];
  for (const line of bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offset, ...items] = line.split(" ");
    items.forEach((b64, i) => {
      tokens[Number(offset) + i] = Buffer.from(b64, "base64");
    });
  }
  for (let r = 0; r < tokens.length; r++) {
    if (!tokens[r]) fail(`${name}: rank ${r} is missing (ranks must be dense)`);
  }
  const head = new Uint32Array(1 + tokens.length);
  head[0] = tokens.length;
  let end = 0;
  tokens.forEach((t, r) => {
    end += t.length;
    head[1 + r] = end;
  });
  return Buffer.concat([Buffer.from(head.buffer), ...tokens]);
}

const sections = [unicode, encodingSection("o200k_base"), encodingSection("cl100k_base")];
const align = (n) => (n + 7) & ~7;
let offset = align(8 + 4 + sections.length * 8);
const header = Buffer.alloc(offset);
header.write("AIGWTOK1", 0, "latin1");
header.writeUInt32LE(sections.length, 8);
const parts = [header];
sections.forEach((s, i) => {
  header.writeUInt32LE(offset, 12 + i * 8);
  header.writeUInt32LE(s.length, 16 + i * 8);
  const padded = Buffer.alloc(align(s.length));
  s.copy(padded);
  parts.push(padded);
  offset += padded.length;
});

writeFileSync(`${out}.tmp`, Buffer.concat(parts));
renameSync(`${out}.tmp`, out);
