// The model map: aigw_model entries, their validation for nginx -t, and lookups.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/routing/model_map.hpp"
#include "aigw/routing/router.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::model_map;
using aigw::model_route;

namespace {

const std::vector<std::string> channels = {"openai_main", "azure_east", "deepseek_main",
                                           "local"};

void assert_ok(model_map& m, std::string_view pattern, std::vector<std::string_view> targets) {
    std::string err = m.add(pattern, targets, channels);
    if (!err.empty()) print_error("refused: %s\n", err.c_str());
    assert_true(err.empty());
}

// Refused with a message that contains `needle`, and nothing added.
void assert_refused(model_map& m, std::string_view pattern, std::vector<std::string_view> targets,
                    std::string_view needle) {
    std::size_t before = m.entries().size();
    std::string err = m.add(pattern, targets, channels);
    if (err.find(needle) == std::string::npos) {
        print_error("error [%s] lacks [%.*s]\n", err.c_str(), static_cast<int>(needle.size()),
                    needle.data());
    }
    assert_true(err.find(needle) != std::string::npos);
    assert_int_equal(m.entries().size(), before);
}

model_route lookup(const model_map& m, std::string_view model) {
    auto r = m.lookup(model);
    if (!r) print_error("no route for [%.*s]\n", static_cast<int>(model.size()), model.data());
    assert_true(r.has_value());
    assert_int_equal(r->targets.size(), r->channels.size());
    for (std::size_t i = 0; i < r->targets.size(); ++i) {
        assert_int_equal(r->channels[i], r->targets[i].channel);
    }
    return *r;
}

// ---- targets ----

void split_targets(void**) {
    auto t = aigw::split_model_target("openai_main");
    assert_sv_equal(t.channel, "openai_main");
    assert_true(t.upstream_model.empty());
    assert_false(t.has_colon);

    t = aigw::split_model_target("azure_east:gpt-4o-2024-08-06");
    assert_sv_equal(t.channel, "azure_east");
    assert_sv_equal(t.upstream_model, "gpt-4o-2024-08-06");
    assert_true(t.has_colon);

    // Upstream names may hold ':' themselves.
    t = aigw::split_model_target("local:llama3:8b");
    assert_sv_equal(t.channel, "local");
    assert_sv_equal(t.upstream_model, "llama3:8b");
    t = aigw::split_model_target("openai_main:ft:gpt-4o-mini:acme::abc123");
    assert_sv_equal(t.upstream_model, "ft:gpt-4o-mini:acme::abc123");

    t = aigw::split_model_target("local:");
    assert_true(t.has_colon);
    assert_true(t.upstream_model.empty());
}

// ---- lookups ----

void exact_with_renames(void**) {
    model_map m;
    assert_ok(m, "gpt-4o", {"openai_main", "azure_east:gpt-4o-2024-08-06"});
    model_route r = lookup(m, "gpt-4o");
    assert_true(r.exact);
    assert_sv_equal(r.pattern, "gpt-4o");
    assert_int_equal(r.targets.size(), 2);
    assert_int_equal(r.targets[0].channel, 0);
    assert_sv_equal(r.targets[0].upstream_model, "gpt-4o");
    assert_false(r.targets[0].renamed);
    assert_int_equal(r.targets[1].channel, 1);
    assert_sv_equal(r.targets[1].upstream_model, "gpt-4o-2024-08-06");
    assert_true(r.targets[1].renamed);

    assert_false(m.lookup("gpt-4o-mini").has_value());
    assert_false(m.lookup("GPT-4o").has_value());  // names are case-sensitive, as OpenAI's
    assert_false(m.lookup("gpt-4").has_value());
    assert_false(m.lookup("").has_value());
}

void upstream_same_as_public_is_not_a_rename(void**) {
    model_map m;
    assert_ok(m, "gpt-4o", {"azure_east:gpt-4o"});
    model_route r = lookup(m, "gpt-4o");
    assert_sv_equal(r.targets[0].upstream_model, "gpt-4o");
    assert_false(r.targets[0].renamed);
}

void prefix_passes_family_through(void**) {
    model_map m;
    assert_ok(m, "deepseek-*", {"deepseek_main"});
    model_route r = lookup(m, "deepseek-chat");
    assert_false(r.exact);
    assert_sv_equal(r.pattern, "deepseek-*");
    assert_int_equal(r.targets[0].channel, 2);
    assert_sv_equal(r.targets[0].upstream_model, "deepseek-chat");
    assert_false(r.targets[0].renamed);

    assert_sv_equal(lookup(m, "deepseek-").targets[0].upstream_model, "deepseek-");
    assert_sv_equal(lookup(m, "deepseek-reasoner").targets[0].upstream_model,
                    "deepseek-reasoner");
    assert_false(m.lookup("deepseek").has_value());
    assert_false(m.lookup("xdeepseek-chat").has_value());
}

void prefix_with_fixed_upstream(void**) {
    model_map m;
    assert_ok(m, "gpt-*", {"azure_east:gpt-4o", "openai_main"});
    model_route r = lookup(m, "gpt-3.5-turbo");
    assert_sv_equal(r.targets[0].upstream_model, "gpt-4o");
    assert_true(r.targets[0].renamed);
    assert_sv_equal(r.targets[1].upstream_model, "gpt-3.5-turbo");
    assert_false(r.targets[1].renamed);
}

void exact_before_longest_prefix(void**) {
    model_map m;
    assert_ok(m, "gpt-*", {"openai_main"});
    assert_ok(m, "gpt-4o-*", {"azure_east"});
    assert_ok(m, "gpt-4o-mini", {"local:qwen2.5"});
    assert_ok(m, "*", {"deepseek_main"});
    assert_ok(m, "gpt-4o-mini-*", {"openai_main"});

    model_route r = lookup(m, "gpt-4o-mini");
    assert_true(r.exact);
    assert_int_equal(r.targets[0].channel, 3);
    assert_sv_equal(r.targets[0].upstream_model, "qwen2.5");

    assert_sv_equal(lookup(m, "gpt-4o-mini-2024").pattern, "gpt-4o-mini-*");
    assert_sv_equal(lookup(m, "gpt-4o-2024-08-06").pattern, "gpt-4o-*");
    assert_sv_equal(lookup(m, "gpt-4o").pattern, "gpt-*");  // "gpt-4o-*" needs the dash
    assert_sv_equal(lookup(m, "gpt-3.5").pattern, "gpt-*");
    // "*" alone catches everything else, the empty name included.
    assert_sv_equal(lookup(m, "claude-3").pattern, "*");
    assert_sv_equal(lookup(m, "").pattern, "*");
    assert_sv_equal(lookup(m, "").targets[0].upstream_model, "");
}

void requested_name_kept_verbatim(void**) {
    model_map m;
    assert_ok(m, "*", {"local"});
    // Whatever bytes the client's (unescaped) model holds are what goes upstream.
    const std::string odd("a\"b\\c\0d\xc3\xa8", 8);
    assert_sv_equal(lookup(m, odd).targets[0].upstream_model, odd);
}

void public_names_in_config_order(void**) {
    model_map m;
    assert_true(m.empty());
    assert_ok(m, "gpt-4o", {"openai_main"});
    assert_ok(m, "deepseek-*", {"deepseek_main"});
    assert_ok(m, "claude-3-5-sonnet", {"local"});
    assert_ok(m, "a-model", {"azure_east"});
    assert_refused(m, "gpt-4o", {"local"}, "duplicate");
    const auto& names = m.public_names();
    assert_int_equal(names.size(), 3);
    assert_sv_equal(names[0], "gpt-4o");
    assert_sv_equal(names[1], "claude-3-5-sonnet");
    assert_sv_equal(names[2], "a-model");
    assert_false(m.empty());
    assert_int_equal(m.entries().size(), 4);
}

void unicode_names(void**) {
    model_map m;
    assert_ok(m, "mod\xc3\xa8le-\xe6\x97\xa5", {"local:\xf0\x9f\x98\x80-v1", "openai_main"});
    assert_ok(m, "\xe6\x97\xa5*", {"local"});
    model_route r = lookup(m, "mod\xc3\xa8le-\xe6\x97\xa5");
    assert_sv_equal(r.targets[0].upstream_model, "\xf0\x9f\x98\x80-v1");
    assert_sv_equal(lookup(m, "\xe6\x97\xa5\xe6\x9c\xac").pattern, "\xe6\x97\xa5*");
}

// ---- refusals ----

void refused_entries(void**) {
    model_map m;
    assert_ok(m, "gpt-4o", {"openai_main"});
    assert_ok(m, "deepseek-*", {"deepseek_main"});

    assert_refused(m, "gpt-4o", {"azure_east"}, "duplicate model \"gpt-4o\"");
    assert_refused(m, "deepseek-*", {"local"}, "duplicate model \"deepseek-*\"");
    assert_refused(m, "o1", {}, "has no channel");
    assert_refused(m, "", {"local"}, "empty model name");

    assert_refused(m, "gpt-*-mini", {"local"}, "'*' is allowed only at the end");
    assert_refused(m, "*gpt", {"local"}, "only at the end");
    assert_refused(m, "gpt**", {"local"}, "only at the end");
    assert_refused(m, "**", {"local"}, "only at the end");

    assert_refused(m, "o1", {"nope"}, "unknown channel \"nope\"");
    assert_refused(m, "o1", {"openai_main", "nope:o1-preview"}, "unknown channel \"nope\"");
    assert_refused(m, "o1", {"OPENAI_MAIN"}, "unknown channel");  // names are exact
    assert_refused(m, "o1", {":o1"}, "no channel name");
    assert_refused(m, "o1", {""}, "no channel name");
    assert_refused(m, "o1", {"local:"}, "empty upstream model");
    assert_refused(m, "o1", {"local:o1-*"}, "'*' is not supported");
    assert_refused(m, "o1", {"local", "openai_main", "local:other"}, "listed twice");

    assert_refused(m, "bad\xff", {"local"}, "not valid UTF-8");
    assert_refused(m, "o1", {"local:bad\xc3"}, "not valid UTF-8");
    assert_refused(m, "o\n1", {"local"}, "control character");
    assert_refused(m, "o1", {"local:o\t1"}, "control character");

    // The failed adds left nothing behind: "o1" can still be added.
    assert_ok(m, "o1", {"local"});
    assert_int_equal(m.entries().size(), 3);
    assert_false(m.lookup("gpt-4o-mini").has_value());
}

void no_channels_known(void**) {
    model_map m;
    std::string err = m.add("gpt-4o", {"openai_main"}, {});
    assert_true(err.find("unknown channel") != std::string::npos);
}

void at_most_max_candidates_targets(void**) {
    std::vector<std::string> many;
    for (std::size_t i = 0; i < aigw::max_candidates + 1; ++i) many.push_back("c" + std::to_string(i));
    std::vector<std::string_view> args(many.begin(), many.end());
    model_map m;
    std::string err = m.add("big", args, many);
    assert_true(err.find("more than 64") != std::string::npos);
    args.pop_back();
    assert_true(m.add("big", args, many).empty());
    assert_int_equal(lookup(m, "big").channels.size(), aigw::max_candidates);
    assert_int_equal(lookup(m, "big").channels.back(), aigw::max_candidates - 1);
}

void find_matches_lookup(void**) {
    std::vector<std::string> names = {"a", "b"};
    model_map m;
    assert_true(m.add("gpt-4o", {"a:gpt-4o-2024-08-06", "b"}, names).empty());
    assert_true(m.add("deepseek-*", {"b"}, names).empty());
    assert_true(m.add("*", {"a"}, names).empty());
    const aigw::model_entry* e = m.find("gpt-4o");
    assert_non_null(e);
    assert_true(e->pattern == "gpt-4o");
    assert_int_equal(e->targets.size(), 2);
    assert_true(e->targets[0].upstream_model == "gpt-4o-2024-08-06");
    assert_true(e->targets[1].upstream_model.empty());  // the requested name, unchanged
    e = m.find("deepseek-chat");
    assert_non_null(e);
    assert_true(e->pattern == "deepseek-*");
    assert_true(m.find("other")->pattern == "*");
    model_map none;
    assert_null(none.find("gpt-4o"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_targets),
        cmocka_unit_test(find_matches_lookup),
        cmocka_unit_test(exact_with_renames),
        cmocka_unit_test(upstream_same_as_public_is_not_a_rename),
        cmocka_unit_test(prefix_passes_family_through),
        cmocka_unit_test(prefix_with_fixed_upstream),
        cmocka_unit_test(exact_before_longest_prefix),
        cmocka_unit_test(requested_name_kept_verbatim),
        cmocka_unit_test(public_names_in_config_order),
        cmocka_unit_test(unicode_names),
        cmocka_unit_test(refused_entries),
        cmocka_unit_test(no_channels_known),
        cmocka_unit_test(at_most_max_candidates_targets),
    };
    return cmocka_run_group_tests_name("model_map", tests, nullptr, nullptr);
}
