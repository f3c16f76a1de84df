// aigw-tokens: counts the tokens of standard input as the gateway counts them (scripts/aigw-tokens
// runs it; --help for the usage).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "aigw/accounting/token_estimate.hpp"
#include "aigw/accounting/tokenizer.hpp"

namespace {

namespace tk = aigw::tokenizer;

const char usage_text[] =
    "usage: aigw-tokens [--encoding o200k_base|cl100k_base|estimate | --model MODEL]\n"
    "                   [--ids | --prompt] [--batch [--bench ROUNDS]]\n"
    "\n"
    "Reads text on standard input and prints its token count, as tiktoken's encode_ordinary\n"
    "counts it (special tokens are plain text; invalid UTF-8 is replaced as a decoder does).\n"
    "  --encoding E   o200k_base (the default), cl100k_base, or estimate (the heuristic used\n"
    "                 for models whose tokenizer is not public)\n"
    "  --model M      the encoding OpenAI uses for model M (gpt-4o, gpt-4, ...; estimate for\n"
    "                 others); the encoding used is said on standard error\n"
    "  --ids          print the token ids on one line, separated by spaces, not the count\n"
    "  --prompt       the input is an OpenAI request body (chat, completions, embeddings):\n"
    "                 print its prompt tokens as the gateway counts them for a reservation\n"
    "                 or a response without usage\n"
    "  --batch        standard input is many texts, each a 4-byte little-endian length and\n"
    "                 its bytes; one output line per text\n"
    "  --bench N      with --batch: encode all texts N times and print the throughput as JSON\n";

int fail(const std::string& msg) {
    std::cerr << "aigw-tokens: " << msg << "\n";
    return 2;
}

void print(const tk::encoder* enc, tk::encoding_id id, std::string_view text, bool ids,
           bool prompt, std::string& out) {
    if (prompt) {
        out += std::to_string(aigw::count_prompt_tokens(enc, text));
        out += '\n';
        return;
    }
    if (enc == nullptr) {
        (void)id;
        out += std::to_string(aigw::estimate_tokens(text));
        out += '\n';
        return;
    }
    if (!ids) {
        out += std::to_string(enc->count(text));
        out += '\n';
        return;
    }
    std::vector<std::uint32_t> v;
    enc->encode(text, v);
    for (std::size_t i = 0; i < v.size(); i++) {
        if (i) out += ' ';
        out += std::to_string(v[i]);
    }
    out += '\n';
}

}  // namespace

int main(int argc, char** argv) {
    tk::encoding_id id = tk::encoding_id::o200k_base;
    bool ids = false, batch = false, model_given = false, prompt = false;
    long rounds = 0;
    std::string model;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::cout << usage_text;
            return 0;
        } else if (a == "--encoding") {
            const char* v = value("--encoding");
            if (v == nullptr || !tk::parse_encoding(v, id)) {
                return fail("--encoding takes o200k_base, cl100k_base or estimate");
            }
        } else if (a == "--model") {
            const char* v = value("--model");
            if (v == nullptr) return fail("--model takes a model name");
            model = v;
            model_given = true;
            id = tk::encoding_for_model(model);
        } else if (a == "--ids") {
            ids = true;
        } else if (a == "--prompt") {
            prompt = true;
        } else if (a == "--batch") {
            batch = true;
        } else if (a == "--bench") {
            const char* v = value("--bench");
            rounds = v ? std::strtol(v, nullptr, 10) : 0;
            if (rounds <= 0) return fail("--bench takes a positive number of rounds");
        } else {
            std::cerr << usage_text;
            return 2;
        }
    }
    if (rounds && !batch) return fail("--bench needs --batch");
    if (ids && prompt) return fail("--ids and --prompt do not go together");
    if (rounds && prompt) return fail("--bench counts texts, not --prompt bodies");
    if (ids && id == tk::encoding_id::estimate) {
        return fail("the estimate has no token ids (" +
                    (model_given ? "no public tokenizer for " + model : std::string("--encoding estimate")) + ")");
    }
    if (model_given) std::cerr << "aigw-tokens: " << model << ": " << tk::encoding_name(id) << "\n";
    const tk::encoder* enc = tk::encoder::get(id);
    if (id != tk::encoding_id::estimate && enc == nullptr) return fail("the tokenizer tables did not load");

    std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::vector<std::string_view> texts;
    if (!batch) {
        texts.push_back(in);
    } else {
        std::size_t i = 0;
        while (i < in.size()) {
            if (in.size() - i < 4) return fail("--batch: a length is cut short");
            std::uint32_t len;
            std::memcpy(&len, in.data() + i, 4);
            i += 4;
            if (in.size() - i < len) return fail("--batch: a text is cut short");
            texts.emplace_back(in.data() + i, len);
            i += len;
        }
    }
    if (rounds) {
        std::size_t bytes = 0, tokens = 0;
        for (auto t : texts) bytes += t.size();
        auto start = std::chrono::steady_clock::now();
        for (long r = 0; r < rounds; r++) {
            for (auto t : texts) tokens += enc ? enc->count(t) : static_cast<std::size_t>(aigw::estimate_tokens(t));
        }
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("{\"texts\":%zu,\"bytes\":%zu,\"tokens\":%zu,\"rounds\":%ld,\"seconds\":%.6f,"
                    "\"tokens_per_second\":%.0f,\"mb_per_second\":%.3f}\n",
                    texts.size(), bytes, tokens / rounds, rounds, s, tokens / s,
                    bytes * rounds / s / 1e6);
        return 0;
    }
    std::string out;
    for (auto t : texts) {
        print(enc, id, t, ids, prompt, out);
        if (out.size() > (1 << 20)) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}
