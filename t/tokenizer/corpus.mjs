// The tokenizer's test corpus: texts made from a seed, the same texts for the same seed on every
// machine, as bytes (some are not valid UTF-8 on purpose). identity.mjs compares the gateway's
// token ids with tiktoken's on them; scripts/bench-tokenizer.mjs measures both on realisticCorpus.
//
// corpus(seed) gives [{ kind, bytes }]: English prose, Chinese, Japanese, Korean, Arabic and
// other scripts, code in several languages, JSON, emoji (ZWJ sequences, skin tones, keycaps,
// flags, tag sequences), combining marks, long white space and digit runs, mixed newlines,
// contractions in every case, invalid UTF-8, random code points over all planes (unassigned,
// private use, Unicode 16 and 17 additions), special-token text, random strings of the
// characters the patterns tell apart, single-character runs of a few kilobytes, and texts of
// about 1 MB. No piece the patterns cut is longer than about 16 KB: tiktoken's merge is
// quadratic in a piece's length, and a megabyte of one character would take it hours.

// sfc32, seeded through splitmix32: small, fast, and the same everywhere.
export function rng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  const r = {
    u32,
    float: () => u32() / 4294967296,
    int: (n) => Math.floor((u32() / 4294967296) * n),  // 0 .. n-1
    range: (lo, hi) => lo + Math.floor((u32() / 4294967296) * (hi - lo + 1)),  // lo .. hi
    chance: (p) => u32() / 4294967296 < p,
    pick: (arr) => arr[Math.floor((u32() / 4294967296) * arr.length)],
    // An element of [[weight, value], ...].
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = (u32() / 4294967296) * total;
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Bytes. A text is built from strings (written as UTF-8) and byte arrays (written as they are).

class text {
  constructor() {
    this.parts = [];
    this.size = 0;
  }
  add(x) {
    const b = typeof x === "string" ? Buffer.from(x, "utf8") : Buffer.from(x);
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  bytes() {
    return Buffer.concat(this.parts, this.size);
  }
}

// UTF-8 of any value up to 0x10FFFF, surrogates included (those are invalid UTF-8).
function utf8(cp) {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

const chars = (s) => Array.from(s);
const from = (lo, hi) => {
  const out = [];
  for (let c = lo; c <= hi; c++) out.push(String.fromCodePoint(c));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Material.

const words = (
  "the of and to in is was that for on are with as his they at be this have from or one had by " +
  "word but not what all were we when your can said there use an each which she do how their if " +
  "will up other about out many then them these so some her would make like him into time has " +
  "look two more write go see number no way could people my than first water been call who oil " +
  "its now find long down day did get come made may part over new sound take only little work " +
  "know place year live me back give most very after thing our just name good sentence man think " +
  "say great where help through much before line right too mean old any same tell boy follow came " +
  "want show also around form three small set put end does another well large must big even such " +
  "because turn here why ask went men read need land different home us move try kind hand picture " +
  "again change off play spell air away animal house point page letter mother answer found study " +
  "still learn should America world tokenizer gateway encoding latency throughput request response " +
  "model upstream Kubernetes PostgreSQL JavaScript TypeScript OpenAI NGINX HTTP/2 API JSON UTF-8 " +
  "naïve café résumé coöperate façade jalapeño Zürich São Paulo Ångström straße Œuvre"
).split(" ");
const contractions = [
  "don't", "it's", "we'll", "they're", "I've", "I'm", "he'd", "can't", "won't", "she's", "you'd",
  "DON'T", "IT'S", "WE'LL", "THEY'RE", "I'VE", "I'M", "HE'D", "It'S", "We'Ll", "they'Re",
  "you'rE", "I'vE", "i'M", "he'D", "o'clock", "rock'n'roll", "y'all", "ma'am", "Jones'", "it’s",
];
const names = ["Alice", "Bob", "Zoë", "José", "François", "Müller", "O'Brien", "McDonald", "ÉMILE"];

const hanzi = chars(
  "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事" +
  "其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主" +
  "没公从知全问机间义部意长物现实加量都两体制当使点从业本去把性好应开它合还因由其些然前外天政四日那社义" +
  "事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军" +
  "很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统" +
  "接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热" +
  "领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车" +
  "例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界" +
  "龘𠀀𠮷𪚥𡈼",
);
const zhPunct = chars("，。！？；：、“”‘’《》（）【】…—·「」");
const hiragana = from(0x3041, 0x3096);
const katakana = from(0x30a1, 0x30fa).concat(["ー", "ヴ", "ヶ"]);
const halfKana = from(0xff66, 0xff9f);
const jaPunct = chars("。、「」『』！？・〜（）…");
const hangulCommon = chars(
  "가나다라마바사아자차카타파하고는이에서를을의한그것수있다하지않았어요습니다우리나라사람들이안녕세계" +
  "대한민국서울부산컴퓨터프로그램토큰화기모델응답요청데이터",
);
const jamo = from(0x1100, 0x1112).concat(from(0x1161, 0x1175), from(0x11a8, 0x11c2));
const arabicLetters = from(0x0621, 0x063a).concat(from(0x0641, 0x064a));
const arabicMarks = from(0x064b, 0x0652).concat(["\u0670"]);
const arabicDigits = from(0x0660, 0x0669);
const scripts = {
  russian: from(0x0430, 0x044f).concat(from(0x0410, 0x042f), ["ё", "Ё"]),
  greek: from(0x03b1, 0x03c9).concat(from(0x0391, 0x03a9).filter((c) => c !== "\u03a2"), ["ά", "ώ", "ς"]),
  hebrew: from(0x05d0, 0x05ea),
  hebrewMarks: from(0x05b0, 0x05bc),
  devanagari: from(0x0915, 0x0939),
  devanagariMarks: from(0x093e, 0x094d).concat(["\u0902", "\u0903", "\u093c"]),
  thai: from(0x0e01, 0x0e2e),
  thaiMarks: ["\u0e31", "\u0e34", "\u0e35", "\u0e36", "\u0e37", "\u0e38", "\u0e39", "\u0e48", "\u0e49", "\u0e4a", "\u0e4b"],
  armenian: from(0x0561, 0x0586).concat(from(0x0531, 0x0556)),
  georgian: from(0x10d0, 0x10fa),
  ethiopic: from(0x1200, 0x1248),
  vietnamese: chars("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"),
};

// Characters by the classes the patterns tell apart, and the strings around their edges.
const classes = {
  Lu: chars("ABCXYZÀÉΣДԱǄ").concat(["\u{1D400}", "\u{1D56C}", "\u212A", "\u2126", "\u1E9E"]),
  Ll: chars("abcsxyzßſσςдéŉﬁﬅ").concat(["\u{1D41A}", "\u0131", "\u0138"]),
  Lt: ["\u01C5", "\u01C8", "\u01CB", "\u1F88", "\u1FBC"],
  Lm: ["\u02B0", "\u02C6", "\u30FC", "\u3005", "\uA717", "\u0640", "\uFF70", "\uFF9E", "\u{16F93}"],
  Lo: chars("中あア한اאกॐªºƻ").concat(["\u{20000}", "\u{2B820}", "\u05D0"]),
  Mn: ["\u0300", "\u0301", "\u0308", "\u064E", "\u0E31", "\u302A", "\uFE0F", "\uFE0E", "\u{E0100}", "\u0951", "\u20D7", "\u{1D167}"],
  Mc: ["\u093E", "\u0903", "\u0BBE", "\u{1D165}"],
  Me: ["\u20DD", "\u20E3", "\u0488"],
  Nd: chars("0123456789٠٣٩０９๑").concat(["\u{1D7CE}", "\u{104A0}", "\u0966"]),
  Nl: ["\u216B", "\u2160", "\u3007", "\u{10341}", "\u16EE"],
  No: chars("²³½¼①⑴⒈").concat(["\u{1F100}", "\u2070"]),
  space: [" ", " ", " ", "\t", "\n", "\r", "\v", "\f", "\u0085", "\u00A0", "\u1680", "\u2000", "\u2003",
    "\u2009", "\u200A", "\u2028", "\u2029", "\u202F", "\u205F", "\u3000", "\r\n", "\n\r"],
  notSpace: ["\u200B", "\uFEFF", "\u180E", "\u200C", "\u200D", "\u2060", "\u00AD"],
  punct: chars("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…«»¿¡€©™→∑°§¶†‽。、，「"),
  symbol: ["😀", "👍", "🇺", "\uE000", "\u{F0000}", "\u{10FFFD}", "\uFFFD", "\u{E0001}", "\u{E0067}", "\u200E",
    "\u200F", "\u0378", "\u{10FFFF}", "\uFFFF", "\u{5FFFF}", "\u{1F3FB}"],
};
const contractionBits = ["'", "'", "'", "s", "S", "ſ", "t", "T", "re", "RE", "Re", "rE", "ve", "VE", "Ve",
  "m", "M", "ll", "LL", "Ll", "lL", "d", "D", "’", "K", "\u212A", "e", "l"];
const specials = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|im_start|>",
  "<|im_end|>", "<|endofprompt|>", "<|endoftext|><|endoftext|>", "<|endoftext", "|>", "<|"];

// Byte sequences a WHATWG decoder replaces.
const invalid = [
  [0x80], [0xbf], [0x80, 0x80], [0xbf, 0xbf, 0xbf], [0xc0], [0xc1], [0xc0, 0x80], [0xc0, 0xaf],
  [0xc1, 0xbf], [0xc2], [0xdf], [0xe0], [0xe0, 0x80], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
  [0xe0, 0xa0], [0xe2, 0x82], [0xef, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], [0xed, 0xa0], [0xf0], [0xf0, 0x80, 0x80, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0xf4, 0x90, 0x80, 0x80],
  [0xf4, 0x8f, 0xbf], [0xf5], [0xf5, 0x80, 0x80, 0x80], [0xf7, 0xbf, 0xbf, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xfe, 0xff], [0xff, 0xfe], [0xc2, 0x41],
  [0xe2, 0x41, 0x82], [0xf0, 0x9f, 0x41], [0xe2, 0x82, 0xe2, 0x82, 0xac], [0xc3, 0xc3, 0xa9],
];

// Emoji and their sequences.
const emoji = chars("😀😂🥲😍🤔🙃😭👍👎👋🙏🔥✨🎉❤💔⭐🚀🌍🍕☕🐍🦀🐧💡📦🧪✅❌⚠").concat(["☺", "♥", "✌", "⌚", "©", "®", "‼"]);
const tones = from(0x1f3fb, 0x1f3ff);
const zwj = ["👨‍👩‍👧‍👦", "👩‍💻", "🧑‍🚀", "👨‍❤️‍👨", "🏳️‍🌈", "🏴‍☠️", "👁️‍🗨️", "🧑🏽‍🤝‍🧑🏿", "👩🏾‍🦱", "🐻‍❄️", "❤️‍🔥", "🫱🏻‍🫲🏿"];
const keycaps = chars("0123456789#*").map((c) => c + "\uFE0F\u20E3").concat(["1\u20E3", "#\u20E3"]);
const regional = from(0x1f1e6, 0x1f1ff);
const flags = ["🇺🇸", "🇯🇵", "🇫🇷", "🇩🇪", "🇨🇳", "🇧🇷", "🇺🇦", "🇪🇺", "🇺🇳"];
const tagFlags = ["🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
  "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", "🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}"];

// Scripts Unicode added in 16.0 (which the regex engine inside tiktoken knows) and in 17.0
// (which it does not: their letters are no letters to it).
const unicode16 = [[0x10d40, 0x10d8f], [0x105c0, 0x105f3], [0x11bc0, 0x11be1], [0x16d40, 0x16d79],
  [0x1e5d0, 0x1e5fa], [0x11380, 0x113e2], [0x16100, 0x16139], [0x1ccd6, 0x1ccf9], [0x1f8b0, 0x1f8bb]];
const unicode17 = [[0x10940, 0x1095f], [0x11db0, 0x11def], [0x16ea0, 0x16edf], [0x1e6c0, 0x1e6ff],
  [0x323b0, 0x3347f], [0x18d80, 0x18dff], [0x11b60, 0x11b67], [0x1f8d0, 0x1f8d8]];

// ---------------------------------------------------------------------------------------------
// Generators: each gives one text (bytes) of about `size` bytes, or its natural size.

function sentence(r, style) {
  const n = r.range(3, 22);
  const out = [];
  for (let i = 0; i < n; i++) {
    let w;
    const x = r.float();
    if (x < 0.08) w = r.pick(contractions);
    else if (x < 0.12) w = r.pick(names);
    else if (x < 0.17) w = number(r);
    else w = r.pick(words);
    if (i === 0 && style === "normal") w = w[0].toUpperCase() + w.slice(1);
    if (style === "upper") w = w.toUpperCase();
    if (style === "title") w = w[0].toUpperCase() + w.slice(1);
    if (r.chance(0.06)) w += r.pick([",", ";", ":", " —", " -", "…"]);
    if (r.chance(0.03)) w = r.pick(["(", "\"", "“", "'", "["]) + w + r.pick([")", "\"", "”", "'", "]"]);
    out.push(w);
  }
  return out.join(r.chance(0.03) ? "  " : " ") + r.pick([".", ".", ".", "!", "?", "?!", "...", ":", ""]);
}

function number(r) {
  switch (r.int(8)) {
    case 0: return String(r.range(1900, 2030));
    case 1: return (r.float() * 1000).toFixed(r.range(0, 4));
    case 2: return r.range(0, 999999999).toLocaleString("en-US");
    case 3: return `${r.range(0, 100)}%`;
    case 4: return `$${r.range(1, 99999)}.${String(r.range(0, 99)).padStart(2, "0")}`;
    case 5: return `${r.range(1, 12)}/${r.range(1, 28)}/${r.range(1990, 2030)}`;
    case 6: return `+1 (${r.range(200, 999)}) ${r.range(200, 999)}-${String(r.range(0, 9999)).padStart(4, "0")}`;
    default: return String(r.u32()) + String(r.u32());
  }
}

function prose(r, size) {
  const style = r.weighted([[85, "normal"], [5, "upper"], [5, "title"], [5, "lower"]]);
  const nl = r.weighted([[70, "\n\n"], [15, "\r\n\r\n"], [10, "\n"], [5, " "]]);
  let s = "";
  while (s.length < size) {
    s += sentence(r, style);
    s += r.chance(0.2) ? nl : " ";
  }
  return s;
}

function cjkSentence(r, pool, punct, min, max) {
  let s = "";
  const n = r.range(min, max);
  for (let i = 0; i < n; i++) {
    s += r.pick(pool);
    if (r.chance(0.03)) s += r.pick(words);
    if (r.chance(0.02)) s += String(r.range(0, 3000));
  }
  return s + r.pick(punct);
}

function chinese(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    s += cjkSentence(r, hanzi, zhPunct, 2, 40);
    if (r.chance(0.1)) s += r.pick(["\n", "\n\n", " ", "\r\n"]);
  }
  return s;
}

function japanese(r, size) {
  const pool = hiragana.concat(hiragana, katakana, hanzi.slice(0, 200), r.chance(0.2) ? halfKana : []);
  let s = "";
  while (Buffer.byteLength(s) < size) {
    s += cjkSentence(r, pool, jaPunct, 2, 40);
    if (r.chance(0.1)) s += r.pick(["\n", " ", "　"]);
  }
  return s;
}

function korean(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    const n = r.range(1, 5);
    let w = "";
    for (let i = 0; i < n; i++) {
      const x = r.float();
      w += x < 0.7 ? r.pick(hangulCommon) : x < 0.95 ? String.fromCodePoint(r.range(0xac00, 0xd7a3)) : r.pick(jamo);
    }
    s += w + r.weighted([[80, " "], [8, ". "], [5, ", "], [3, "?\n"], [2, "!\r\n"], [2, "\n"]]);
  }
  return s;
}

function arabic(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    const n = r.range(2, 8);
    let w = "";
    for (let i = 0; i < n; i++) {
      w += r.pick(arabicLetters);
      if (r.chance(0.3)) w += r.pick(arabicMarks);
      if (r.chance(0.03)) w += "\u0640";
    }
    if (r.chance(0.05)) w = Array.from({ length: r.range(1, 6) }, () => r.pick(arabicDigits)).join("");
    if (r.chance(0.03)) w = number(r);
    if (r.chance(0.02)) w = "\u200F" + w;
    s += w + r.weighted([[80, " "], [6, "، "], [4, "؟ "], [4, ". "], [3, "\n"], [3, "؛ "]]);
  }
  return s;
}

function otherScript(r, size) {
  const name = r.pick(Object.keys(scripts).filter((k) => !k.endsWith("Marks")));
  const letters = scripts[name];
  const marks = scripts[name + "Marks"] || [];
  let s = "";
  while (Buffer.byteLength(s) < size) {
    const n = name === "thai" ? r.range(3, 40) : r.range(1, 10);
    let w = "";
    for (let i = 0; i < n; i++) {
      w += r.pick(letters);
      if (marks.length && r.chance(0.4)) w += r.pick(marks);
    }
    if (r.chance(0.1)) w = w[0].toUpperCase() + w.slice(1);
    if (name === "vietnamese" && r.chance(0.3)) w = w.normalize("NFD");
    s += w + r.weighted([[80, " "], [5, ", "], [5, ". "], [3, "\n"], [2, "'s "], [2, "'S "]]);
  }
  return s;
}

function identifier(r) {
  const parts = Array.from({ length: r.range(1, 4) }, () => r.pick(words).replace(/[^a-zA-Z]/g, "") || "x");
  switch (r.int(7)) {
    case 0: return parts.map((p, i) => (i ? p[0].toUpperCase() + p.slice(1) : p.toLowerCase())).join("");
    case 1: return parts.map((p) => p[0].toUpperCase() + p.slice(1).toLowerCase()).join("");
    case 2: return parts.join("_").toLowerCase();
    case 3: return parts.join("_").toUpperCase();
    case 4: return parts.join("_").toLowerCase() + r.range(0, 99);
    case 5: return r.pick(["i", "j", "k", "n", "x", "y", "buf", "ctx", "self", "this", "err", "ok", "HTTPServer", "XMLHttpRequest", "x86_64", "utf8ToUTF16", "IOError"]);
    default: return parts.join("").toLowerCase();
  }
}

function stringLiteral(r) {
  const x = r.float();
  if (x < 0.5) return JSON.stringify(sentence(r, "normal").slice(0, r.range(0, 60)));
  if (x < 0.7) return `'${identifier(r)}'`;
  if (x < 0.8) return JSON.stringify(chinese(r, 20).slice(0, 10));
  if (x < 0.9) return `"${r.pick(["\\n", "\\t", "\\\\", "\\\"", "\\u00e9", "%s", "%d\\n", "{}", "${x}"])}"`;
  return `"/${identifier(r)}/${identifier(r)}.${r.pick(["json", "py", "rs", "go", "c"])}"`;
}

const codeTemplates = [
  (r, I, id) => `${I}def ${id()}(${id()}, ${id()}=None, *args, **kwargs):\n${I}    """${sentence(r, "normal")}"""\n${I}    if ${id()} is None:\n${I}        return ${stringLiteral(r)}\n${I}    for ${id()} in range(${r.range(0, 1000)}):\n${I}        ${id()} += ${id()}[${r.range(0, 9)}] * ${r.float().toFixed(3)}\n${I}    return {${stringLiteral(r)}: ${id()}}\n`,
  (r, I, id) => `${I}export class ${identifier(r)} extends ${id()} {\n${I}  constructor(${id()}) {\n${I}    super();\n${I}    this.${id()} = ${id()} ?? ${stringLiteral(r)};\n${I}  }\n${I}  async ${id()}() {\n${I}    const ${id()} = await fetch(\`/api/v${r.range(1, 3)}/\${this.${id()}}\`);\n${I}    return ${id()}.map((x) => x * ${r.range(2, 99)}).filter(Boolean);\n${I}  }\n${I}}\n`,
  (r, I, id) => `${I}static int ${id()}(const char *${id()}, size_t ${id()}) {\n${I}\tfor (size_t i = 0; i < ${id()}; i++) {\n${I}\t\tif (${id()}[i] == '\\\\0' || ${id()}[i] >= 0x${r.range(16, 255).toString(16)}) return -${r.range(1, 99)};\n${I}\t}\n${I}\treturn printf(${stringLiteral(r)}, ${id()}); /* ${sentence(r, "lower")} */\n${I}}\n`,
  (r, I, id) => `${I}pub fn ${id()}<'a, T: Clone>(${id()}: &'a [T], ${id()}: usize) -> Result<Vec<T>, Box<dyn Error>> {\n${I}    let mut ${id()} = Vec::with_capacity(${r.range(0, 4096)});\n${I}    // ${sentence(r, "normal")}\n${I}    ${id()}.extend_from_slice(&${id()}[..${id()}]);\n${I}    Ok(${id()})\n${I}}\n`,
  (r, I, id) => `${I}func (s *${identifier(r)}) ${id()}(ctx context.Context, ${id()} []byte) (int, error) {\n${I}\tif err := s.${id()}(ctx); err != nil {\n${I}\t\treturn 0, fmt.Errorf(${stringLiteral(r)}+": %w", err)\n${I}\t}\n${I}\treturn len(${id()}), nil\n${I}}\n`,
  (r, I, id) => `${I}SELECT ${id()}.${id()}, COUNT(*) AS n, SUM(${id()}) FROM ${id()} JOIN ${id()} ON ${id()}.id = ${id()}.${id()}_id\n${I}WHERE ${id()} >= '${r.range(2000, 2030)}-0${r.range(1, 9)}-${r.range(10, 28)}' AND ${id()} IN (${r.range(1, 9)}, ${r.range(10, 99)}) GROUP BY 1 ORDER BY n DESC LIMIT ${r.range(1, 500)};\n`,
  (r, I, id) => `${I}<div class="${id()} ${id()}" id="${id()}"><a href="https://example.com/${id()}?q=${id()}&amp;n=${r.range(0, 99)}">${sentence(r, "normal")}</a><br/>\n${I}  <img src="/img/${id()}.png" alt="${id()}"/></div>\n`,
  (r, I, id) => `${I}#!/usr/bin/env bash\n${I}set -euo pipefail\n${I}for f in "$@"; do\n${I}  ${id()}="$(basename "$f" .txt)"; grep -rn '${id()}' "$f" | awk -F: '{print $1}' > /tmp/${id()}.log 2>&1 || exit ${r.range(1, 9)}\n${I}done\n`,
  (r, I, id) => `${I}.${id()} > .${id()}:hover, #${id()} {\n${I}  margin: ${r.range(0, 40)}px ${r.range(0, 9)}em; color: #${r.u32().toString(16).slice(0, 6)};\n${I}  transition: all ${r.float().toFixed(2)}s ease-in-out;\n${I}}\n`,
  (r, I, id) => `${I}${id()}:\n${I}  - name: ${id()}\n${I}    image: "registry.example.com/${id()}:${r.range(1, 9)}.${r.range(0, 30)}.${r.range(0, 9)}"\n${I}    ports: [${r.range(1024, 65535)}]\n${I}    env: { ${id().toUpperCase()}: "${id()}" }\n`,
  (r, I, id) => `${I}#include <${r.pick(["stdio.h", "vector", "string_view", "sys/types.h"])}>\n${I}template <class T> auto ${id()}(T&& ${id()}) -> decltype(auto) { return std::forward<T>(${id()})->${id()}(); }\n`,
  (r, I, id) => `${I}// TODO(${r.pick(names)}): ${sentence(r, "normal")}\n${I}if (${id()} != null && ${id()}.length > ${r.range(0, 64)}) { ${id()}[${id()}++] = ${id()} >>> ${r.range(1, 31)}; }\n`,
];

function code(r, size) {
  const nl = r.weighted([[85, "\n"], [12, "\r\n"], [3, "\r"]]);
  let s = "";
  const id = () => identifier(r);
  while (s.length < size) {
    const depth = r.weighted([[60, 0], [25, 1], [10, 2], [5, 3]]);
    const I = (r.chance(0.2) ? "\t" : " ".repeat(r.pick([2, 4, 8]))).repeat(depth);
    let block = r.pick(codeTemplates)(r, I, id);
    if (r.chance(0.1)) block = block.replace(/\n/g, "  \n");  // trailing white space
    s += block.replace(/\n/g, nl) + (r.chance(0.4) ? nl : "");
  }
  return s;
}

function jsonValue(r, depth) {
  const x = r.float();
  if (depth > 3 || x < 0.35) {
    switch (r.int(9)) {
      case 0: return r.range(-1e6, 1e6);
      case 1: return Number((r.float() * 10 ** r.range(-5, 12)).toPrecision(r.range(1, 17)));
      case 2: return r.chance(0.5);
      case 3: return null;
      case 4: return chinese(r, r.range(3, 40));
      case 5: return emojiText(r, r.range(3, 30));
      case 6: return code(r, 40).slice(0, r.range(0, 80));
      default: return sentence(r, "normal");
    }
  }
  if (x < 0.65) return Array.from({ length: r.range(0, 6) }, () => jsonValue(r, depth + 1));
  const o = {};
  for (let i = r.range(0, 7); i > 0; i--) o[r.chance(0.8) ? identifier(r) : r.pick(hanzi) + r.pick(hanzi)] = jsonValue(r, depth + 1);
  return o;
}

function json(r, size) {
  let s = "";
  while (s.length < size) {
    const indent = r.pick([undefined, undefined, 2, 4, "\t"]);
    let j = JSON.stringify(jsonValue(r, 0), null, indent);
    if (r.chance(0.2)) j = j.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
    if (r.chance(0.15)) j = j.replace(/\n/g, "\r\n");
    s += j + (r.chance(0.5) ? "\n" : "");
  }
  return s;
}

function emojiText(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    switch (r.int(10)) {
      case 0: s += r.pick(emoji) + r.pick(tones); break;
      case 1: s += r.pick(zwj); break;
      case 2: s += r.pick(keycaps); break;
      case 3: s += r.pick(flags); break;
      case 4: s += r.pick(regional); break;  // a lone or mismatched regional indicator
      case 5: s += r.pick(tagFlags); break;
      case 6: s += r.pick(emoji) + (r.chance(0.5) ? "\uFE0F" : "\uFE0E"); break;
      case 7: s += r.pick(words) + (r.chance(0.5) ? " " : ""); break;
      case 8: s += r.pick([" ", "  ", "\n", "!", ", ", ":", "."]); break;
      default: s += r.pick(emoji);
    }
  }
  return s;
}

function combining(r, size) {
  const marks = classes.Mn.concat(classes.Mc, classes.Me, arabicMarks, scripts.devanagariMarks, from(0x0300, 0x036f));
  const bases = [].concat(classes.Lu, classes.Ll, classes.Lt, classes.Lm, classes.Lo, classes.Nd, classes.No,
    [" ", "!", "'", "\n", "-", "_", "😀", "a", "e", "o", "A", "E"]);
  let s = r.chance(0.2) ? r.pick(marks) : "";
  while (Buffer.byteLength(s) < size) {
    s += r.pick(bases);
    const n = r.weighted([[50, 0], [30, 1], [12, 2], [6, r.range(3, 8)], [2, r.range(9, 40)]]);
    for (let i = 0; i < n; i++) s += r.pick(marks);
    if (r.chance(0.15)) s += " ";
    if (r.chance(0.05)) s += r.pick(["'s", "'LL", "'ſ", "'Re"]);
  }
  return s;
}

function spacesAndDigits(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    switch (r.int(9)) {
      case 0: s += " ".repeat(r.range(1, 300)); break;
      case 1: s += "\t".repeat(r.range(1, 40)); break;
      case 2: s += Array.from({ length: r.range(1, 60) }, () => r.pick(classes.space)).join(""); break;
      case 3: s += "0123456789".repeat(r.range(1, 40)).slice(r.int(10)); break;
      case 4: s += Array.from({ length: r.range(1, 200) }, () => r.pick(classes.Nd)).join(""); break;
      case 5: s += Array.from({ length: r.range(1, 30) }, () => r.pick(classes.Nd.concat(classes.Nl, classes.No))).join(""); break;
      case 6: s += String(r.u32()).repeat(r.range(1, 20)); break;
      case 7: s += r.pick(words); break;
      default: s += r.pick(["\n", "\r\n", ".", ",", "-", "x", "'s", "$", " ", "中"]);
    }
  }
  return s;
}

function newlines(r, size) {
  const breaks = ["\n", "\r\n", "\r", "\n\r", "\r\r\n", "\n\n", "\r\n\r\n", " \n", "  \r\n", "\t\n", "\n ", "\n\t", "\u2028", "\u0085", "\n\u3000"];
  let s = "";
  while (Buffer.byteLength(s) < size) {
    const x = r.float();
    if (x < 0.35) s += r.pick(breaks);
    else if (x < 0.5) s += " ".repeat(r.range(1, 12));
    else if (x < 0.6) s += r.pick(["//", "/", "\\", "!?", "...", "--", "*/", "/*", "#", "'s"]);
    else if (x < 0.7) s += r.pick(hanzi) + r.pick(hanzi);
    else if (x < 0.8) s += number(r);
    else s += r.pick(words);
  }
  return s;
}

function contractionText(r, size) {
  const before = ["", "a", "A", "don", "DON", "it", "IT", "中", "1", "2", " ", "  ", "\n", "!", "'", "é", "É", "ǅ", "ʰ", "\u0301", "x\u0301", "😀", "_", "/"];
  const after = ["", "", " ", "a", "A", "s", "ſ", "1", "!", "'", "\n", "中", "\u0301", "ʰ", "e", "E", "l", "L", "/"];
  const core = ["'s", "'S", "'ſ", "'t", "'T", "'re", "'RE", "'Re", "'rE", "'ve", "'VE", "'Ve", "'vE", "'m", "'M",
    "'ll", "'LL", "'Ll", "'lL", "'d", "'D", "'", "''s", "'x", "'\u212A", "’s", "'r", "'v", "'l", "'ß"];
  let s = "";
  while (Buffer.byteLength(s) < size) {
    if (r.chance(0.15)) s += r.pick(contractions) + " ";
    else s += r.pick(before) + r.pick(core) + r.pick(after);
  }
  return s;
}

function invalidText(r, size) {
  const t = new text();
  const base = r.pick([prose, chinese, code, emojiText, contractionText, newlines]);
  const s = base(r, size);
  const cps = chars(s);
  for (const c of cps) {
    t.add(c);
    if (r.chance(0.05)) t.add(r.pick(invalid));
    if (r.chance(0.005)) t.add(utf8(r.range(0xd800, 0xdfff)));  // a surrogate written as UTF-8
  }
  if (r.chance(0.3)) t.add(r.pick(invalid));  // at the very end: a truncated sequence
  return t.bytes();
}

function randomBytes(r, size) {
  const b = Buffer.alloc(size);
  const mode = r.int(3);
  for (let i = 0; i < size; i++) {
    if (mode === 0) b[i] = r.int(256);
    else if (mode === 1) b[i] = r.chance(0.5) ? r.range(0x80, 0xff) : r.range(0x20, 0x7e);
    else b[i] = r.pick([0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f, 0x20, 0x27, 0x73, 0x0a, 0x0d, 0x41]);
  }
  return b;
}

// A code point anywhere: mostly assigned planes, also unassigned planes, private use and noncharacters.
function anyCodePoint(r) {
  for (;;) {
    const cp = r.weighted([
      [30, () => r.range(0x80, 0x2fff)],
      [15, () => r.range(0x3000, 0xffff)],
      [15, () => r.range(0x10000, 0x1ffff)],
      [8, () => r.range(0x20000, 0x3ffff)],
      [5, () => r.range(0x40000, 0xdffff)],
      [5, () => r.range(0xe0000, 0xeffff)],
      [5, () => r.range(0xf0000, 0x10ffff)],
      [5, () => r.pick([0xfffe, 0xffff, 0x1fffe, 0x10fffe, 0x10ffff, 0xfdd0, 0xe000, 0xf8ff, 0x0378, 0x0870])],
      [12, () => r.range(0x20, 0x7e)],
    ])();
    if (cp < 0xd800 || cp > 0xdfff) return cp;
  }
}

function randomUnicode(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    s += String.fromCodePoint(anyCodePoint(r));
    if (r.chance(0.1)) s += r.pick([" ", "\n", "'s", " a", "1"]);
  }
  return s;
}

function newScripts(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    const [lo, hi] = r.pick(r.chance(0.5) ? unicode16 : unicode17);
    const n = r.range(1, 12);
    for (let i = 0; i < n; i++) s += String.fromCodePoint(r.range(lo, hi));
    s += r.pick([" ", " ", "a", "A", "'s", "\n", "1", "中", "\u0301", ""]);
  }
  return s;
}

function specialText(r, size) {
  let s = "";
  while (Buffer.byteLength(s) < size) {
    s += r.chance(0.4) ? r.pick(specials) : sentence(r, "normal").slice(0, r.range(0, 40));
    if (r.chance(0.3)) s += r.pick([" ", "\n", ""]);
  }
  return s;
}

// Random strings over the characters the patterns tell apart.
function atoms(r, size) {
  const groups = Object.keys(classes);
  const t = new text();
  while (t.size < size) {
    const x = r.float();
    if (x < 0.7) t.add(r.pick(classes[r.pick(groups)]));
    else if (x < 0.85) t.add(r.pick(contractionBits));
    else if (x < 0.9) t.add(r.pick(classes.space).repeat(r.range(2, 20)));
    else if (x < 0.93) t.add(r.pick(invalid));
    else if (x < 0.95) t.add(r.pick(specials));
    else t.add(r.pick(["/", "//", "\r\n", "\n/", " /", "a/", "!!!", "...", "1234", "  a"]));
  }
  return t.bytes();
}

const small = [
  ["prose", prose, 1500, 10, 2000],
  ["chinese", chinese, 700, 3, 1500],
  ["japanese", japanese, 600, 3, 1500],
  ["korean", korean, 500, 3, 1500],
  ["arabic", arabic, 400, 3, 1500],
  ["script", otherScript, 600, 3, 1500],
  ["code", code, 1500, 20, 3000],
  ["json", json, 800, 2, 3000],
  ["emoji", emojiText, 700, 1, 400],
  ["combining", combining, 500, 1, 400],
  ["spaces-digits", spacesAndDigits, 700, 1, 1500],
  ["newlines", newlines, 500, 1, 400],
  ["contractions", contractionText, 600, 1, 200],
  ["invalid-utf8", invalidText, 800, 1, 600],
  ["random-bytes", randomBytes, 400, 1, 300],
  ["random-unicode", randomUnicode, 700, 1, 600],
  ["unicode-16-17", newScripts, 300, 1, 400],
  ["special", specialText, 200, 1, 300],
  ["atoms", atoms, 2500, 1, 120],
];

// Runs of one character (or one short string) of a few kilobytes, each piece the patterns cut
// being the whole run or most of it.
const runs = ["a", "A", "z", " ", "\t", "\n", "\r\n", "!", ".", "-", "=", "/", "'", "中", "あ", "한", "é", "e\u0301",
  "ß", "Σ", "0", "7", "٣", "😀", "\u0301", "\u00A0", "\u3000", "\uFFFD", "ab", "Ab", "aB", " a", "'s", "\u{10FFFF}"];

// Texts of about 1 MB, in pieces of ordinary length.
function big(r, parts, size) {
  const t = new text();
  while (t.size < size) {
    const [gen, lo, hi] = r.pick(parts);
    t.add(gen(r, r.range(lo, hi)));
    t.add(r.pick(["\n", "\n\n", " ", "\r\n"]));
  }
  return t.bytes();
}

export function corpus(seed = 1) {
  const r = rng(seed);
  const out = [];
  const push = (kind, x) => out.push({ kind, bytes: typeof x === "string" ? Buffer.from(x, "utf8") : x });
  push("empty", "");
  for (const [kind, gen, count, lo, hi] of small) {
    for (let i = 0; i < count; i++) {
      // Sizes spread over the range, small ones more often.
      const size = Math.floor(lo + (hi - lo) * r.float() ** 2);
      push(kind, gen(r, size));
    }
  }
  for (const c of runs) {
    for (const bytes of [2048, 6144]) {
      const n = Math.max(1, Math.floor(bytes / Buffer.byteLength(c)));
      push("run", c.repeat(n));
      push("run", c.repeat(n) + r.pick(["x", " x", "\n", "!", "1", "中"]));
    }
  }
  for (const c of ["a", " ", "0", "\n", "!", "ab"]) push("run", c.repeat(16384 / c.length));
  push("1mb-prose-code", big(r, [[prose, 500, 20000], [code, 500, 20000]], 1 << 20));
  push("1mb-mixed", big(r, small.map(([, gen, , lo, hi]) => [gen, lo, hi]), 1 << 20));
  push("1mb-cjk-json", big(r, [[chinese, 100, 8000], [japanese, 100, 8000], [korean, 100, 4000], [json, 100, 8000]], 1 << 20));
  push("1mb-hostile", big(r, [[atoms, 50, 500], [invalidText, 100, 2000], [randomUnicode, 50, 1000], [combining, 50, 1000], [spacesAndDigits, 50, 1000]], 1 << 20));
  return out;
}

// A realistic mix for measuring speed: chat-sized texts of prose, code, CJK and JSON (and a little
// of everything else), about `bytes` in all.
export function realisticCorpus(seed = 7, bytes = 4 << 20) {
  const r = rng(seed);
  const gens = [[30, prose], [25, code], [10, chinese], [5, japanese], [3, korean], [2, arabic], [3, otherScript],
    [15, json], [3, emojiText], [2, newlines], [2, spacesAndDigits]];
  const out = [];
  let total = 0;
  while (total < bytes) {
    const gen = r.weighted(gens);
    const size = Math.floor(200 + 20000 * r.float() ** 3);
    const b = Buffer.from(gen(r, size), "utf8");
    out.push({ kind: gen.name, bytes: b });
    total += b.length;
  }
  return out;
}

// The batch input of aigw-tokens: each text as a u32 little-endian length and its bytes.
export function batch(texts) {
  const parts = [];
  for (const { bytes } of texts) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}
