#!/usr/bin/env node
// The tokenizer's identity test (`make tokenizer-identity`, part of `make test`): the token ids
// aigw-tokens gives for every text of corpus.mjs must be the ids of OpenAI's tiktoken (the npm
// package, its WASM build of the Rust original, pinned in scripts/tokenizer-data), for
// o200k_base and cl100k_base. tiktoken gets the text as a JavaScript string decoded from the same
// bytes, so invalid UTF-8 reaches it as a WHATWG decoder replaces it, as the gateway does.
//
// Usage: identity.mjs AIGW_TOKENS [--seed N] [--encoding E] [--show N]
// Prints one line per encoding; on a mismatch, the first texts that differ (escaped) with both
// id lists around the first difference, and exits 1.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { batch, corpus } from "./corpus.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../scripts/tokenizer-data/package.json"));

function fail(msg) {
  console.error(`tokenizer identity: ${msg}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let bin = null, seed = 1, show = 5;
let encodings = ["o200k_base", "cl100k_base"];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--seed") seed = Number(args[++i]);
  else if (a === "--encoding") encodings = [args[++i]];
  else if (a === "--show") show = Number(args[++i]);
  else if (!a.startsWith("--") && bin === null) bin = a;
  else fail(`unknown argument ${a}`);
}
if (bin === null) fail("usage: identity.mjs AIGW_TOKENS [--seed N] [--encoding E] [--show N]");

let tiktoken;
try {
  tiktoken = require("tiktoken");
} catch {
  fail("the npm package tiktoken is missing from scripts/tokenizer-data: run scripts/install-deps");
}

// aigw-tokens --batch --ids: one line of ids per text. Its input and output are files, so that it
// runs on while tiktoken keeps this process busy.
const work = mkdtempSync(join(tmpdir(), "aigw-tokenizer-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
function ours(encoding, inputFile) {
  const outFile = join(work, `${encoding}.out`);
  const stdin = openSync(inputFile, "r");
  const stdout = openSync(outFile, "w");
  const child = spawn(bin, ["--encoding", encoding, "--batch", "--ids"], { stdio: [stdin, stdout, "inherit"] });
  closeSync(stdin);
  closeSync(stdout);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${bin} exited with ${code}`));
      const lines = readFileSync(outFile, "latin1").split("\n");
      lines.pop();  // after the last newline
      resolve(lines);
    });
  });
}

// A text for a human: escaped, long ones cut in the middle.
function escape(bytes, max = 400) {
  let s = "";
  const str = bytes.toString("latin1");
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 0x5c) s += "\\\\";
    else if (c >= 0x20 && c < 0x7f) s += str[i];
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === 0x09) s += "\\t";
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  if (s.length > max) s = s.slice(0, max / 2) + ` [... ${s.length - max} more ...] ` + s.slice(-max / 2);
  return s;
}

function report(enc, t, index, got, want) {
  let k = 0;
  while (k < got.length && k < want.length && got[k] === want[k]) k++;
  // A token's bytes: as text when they are whole UTF-8, else escaped.
  const piece = (id) => {
    try {
      const b = Buffer.from(enc.decode_single_token_bytes(Number(id)));
      const s = b.toString("utf8");
      return Buffer.from(s, "utf8").equals(b) ? JSON.stringify(s) : `"${escape(b)}"`;
    } catch {
      return "?";
    }
  };
  const window = (ids) => ids.slice(Math.max(0, k - 3), k + 6).map((id) => `${id}=${piece(id)}`).join(" ");
  console.log(`  text ${index} (${t.kind}, ${t.bytes.length} bytes): "${escape(t.bytes)}"`);
  console.log(`    ${got.length} ids from aigw-tokens, ${want.length} from tiktoken; they differ from id ${k}`);
  console.log(`    aigw-tokens: ${got.length <= 40 ? got.join(" ") : "... " + window(got)}`);
  console.log(`    tiktoken:    ${want.length <= 40 ? want.join(" ") : "... " + window(want)}`);
  if (got.length <= 40 || want.length <= 40) {
    console.log(`    around the difference, aigw-tokens: ${window(got)}`);
    console.log(`                           tiktoken:    ${window(want)}`);
  }
}

const started = performance.now();
const texts = corpus(seed);
const inputFile = join(work, "corpus.bin");
writeFileSync(inputFile, batch(texts));
const strings = texts.map((t) => t.bytes.toString("utf8"));
let bytes = 0;
for (const t of texts) bytes += t.bytes.length;

let failed = false;
for (const name of encodings) {
  const t0 = performance.now();
  const pending = ours(name, inputFile);  // runs while tiktoken encodes
  const enc = tiktoken.get_encoding(name);
  const want = strings.map((s) => Array.from(enc.encode_ordinary(s)).join(" "));
  const t1 = performance.now();
  const got = await pending;
  if (got.length !== texts.length) fail(`${name}: ${got.length} lines from aigw-tokens for ${texts.length} texts`);
  const bad = [];
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) {
    if (got[i] !== want[i]) bad.push(i);
    tokens += want[i] === "" ? 0 : want[i].split(" ").length;
  }
  console.log(`${name}: ${texts.length} texts, ${bytes} bytes, ${tokens} tokens: ${bad.length} mismatches ` +
              `(tiktoken ${((t1 - t0) / 1000).toFixed(1)} s)`);
  if (bad.length) {
    failed = true;
    const kinds = {};
    for (const i of bad) kinds[texts[i].kind] = (kinds[texts[i].kind] || 0) + 1;
    console.log(`  by kind: ${JSON.stringify(kinds)}`);
    for (const i of bad.slice(0, show)) {
      const split = (s) => (s === "" ? [] : s.split(" "));
      report(enc, texts[i], i, split(got[i]), split(want[i]));
    }
  }
  enc.free();
}
console.log(`tokenizer identity: ${failed ? "FAILED" : "ok"} in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
process.exit(failed ? 1 : 0);
