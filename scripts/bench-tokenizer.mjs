#!/usr/bin/env node
// The token counter's speed against OpenAI's tiktoken (`make bench-tokenizer`): one thread each,
// the same texts (a realistic mix of chat-sized prose, code, CJK and JSON from
// t/tokenizer/corpus.mjs, several MB), in the same run. tiktoken is the npm package (its WASM
// build of the Rust original, pinned in scripts/tokenizer-data): encode_ordinary on each text,
// after a warm-up pass. Ours is aigw-tokens --batch --bench (counts, standard input already
// read). Prints tokens/s and MB/s of each and the ratio, per encoding; both must count the same
// tokens.
//
// Usage: bench-tokenizer.mjs AIGW_TOKENS [--mb N] [--seconds S] [--encoding E] [--seed N]
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { batch, realisticCorpus } from "../t/tokenizer/corpus.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "tokenizer-data/package.json"));

function fail(msg) {
  console.error(`bench-tokenizer: ${msg}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let bin = null, mb = 4, seconds = 3, seed = 7;
let encodings = ["o200k_base", "cl100k_base"];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--mb") mb = Number(args[++i]);
  else if (a === "--seconds") seconds = Number(args[++i]);
  else if (a === "--seed") seed = Number(args[++i]);
  else if (a === "--encoding") encodings = [args[++i]];
  else if (!a.startsWith("--") && bin === null) bin = a;
  else fail(`unknown argument ${a}`);
}
if (bin === null || !(mb > 0) || !(seconds > 0)) {
  fail("usage: bench-tokenizer.mjs AIGW_TOKENS [--mb N] [--seconds S] [--encoding E] [--seed N]");
}

let tiktoken;
try {
  tiktoken = require("tiktoken");
} catch {
  fail("the npm package tiktoken is missing from scripts/tokenizer-data: run scripts/install-deps");
}

const texts = realisticCorpus(seed, Math.round(mb * 1e6));
const strings = texts.map((t) => t.bytes.toString("utf8"));
let bytes = 0;
for (const t of texts) bytes += t.bytes.length;
const work = mkdtempSync(join(tmpdir(), "aigw-bench-tokenizer-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const input = join(work, "corpus.bin");
writeFileSync(input, batch(texts));

function theirs(name) {
  const enc = tiktoken.get_encoding(name);
  const pass = () => {
    let tokens = 0;
    for (const s of strings) tokens += enc.encode_ordinary(s).length;
    return tokens;
  };
  pass();  // warm-up: the WASM compiled and its memory grown
  let rounds = 0, tokens = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    tokens = pass();
    rounds++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  enc.free();
  return { tokens, rounds, seconds: elapsed };
}

function ours(name, rounds) {
  const stdin = openSync(input, "r");
  try {
    const out = execFileSync(bin, ["--encoding", name, "--batch", "--bench", String(rounds)], {
      stdio: [stdin, "pipe", "inherit"],
    });
    const r = JSON.parse(out.toString());
    return { tokens: r.tokens, rounds: r.rounds, seconds: r.seconds };
  } finally {
    closeSync(stdin);
  }
}

const rate = (r) => ({ tps: (r.tokens * r.rounds) / r.seconds, mbps: (bytes * r.rounds) / r.seconds / 1e6 });
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

console.log(`${texts.length} texts, ${(bytes / 1e6).toFixed(2)} MB (prose, code, CJK, JSON, ...), one thread each`);
let mismatch = false;
for (const name of encodings) {
  const t = theirs(name);
  // Ours: a round to size the run, then as many rounds as fill the same time.
  const probe = ours(name, 1);
  const o = ours(name, Math.max(2, Math.ceil(seconds / Math.max(probe.seconds, 1e-3))));
  const a = rate(t), b = rate(o);
  console.log(`${name}: ${t.tokens} tokens`);
  console.log(`  tiktoken (npm, WASM): ${fmt(a.tps)} tokens/s, ${a.mbps.toFixed(2)} MB/s (${t.rounds} rounds, ${t.seconds.toFixed(2)} s)`);
  console.log(`  aigw-tokens:          ${fmt(b.tps)} tokens/s, ${b.mbps.toFixed(2)} MB/s (${o.rounds} rounds, ${o.seconds.toFixed(2)} s)`);
  console.log(`  ratio: ${(b.tps / a.tps).toFixed(2)}x`);
  if (o.tokens !== t.tokens) {
    console.log(`  COUNTS DIFFER: aigw-tokens ${o.tokens}, tiktoken ${t.tokens}`);
    mismatch = true;
  }
}
process.exit(mismatch ? 1 : 0);
