// OpenAI video objects: read and rewritten byte for byte (OpenAI's own examples, escapes,
// white space, refusals), rendered from a task record, the list and delete answers; and the
// members of media requests and answers that decide a price.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/api/request.hpp"
#include "aigw/media/task.hpp"
#include "aigw/media/video_object.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::task_status;

namespace {

const std::string upstream_id = "video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8";
const std::string public_id = "video_0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string source_upstream = "video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa7";
const std::string source_public = "video_fedcba9876543210fedcba9876543210fedcba9876543210";

// api.openai.com's answers, as it writes them.
const std::string queued =
    R"({"id":"video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8","object":"video","created_at":1758941485,"status":"queued","completed_at":null,"error":null,"expires_at":null,"model":"sora-2","progress":0,"prompt":"A calico cat playing a piano on stage","remixed_from_video_id":null,"seconds":"8","size":"720x1280"})";

const std::string in_progress = R"({
  "id": "video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8",
  "object": "video",
  "created_at": 1758941485,
  "status": "in_progress",
  "completed_at": null,
  "error": null,
  "expires_at": null,
  "model": "sora-2-pro",
  "progress": 33,
  "prompt": "A calico cat playing a piano on stage",
  "remixed_from_video_id": null,
  "seconds": "4",
  "size": "1792x1024"
})";

const std::string completed =
    R"({"id":"video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8","object":"video","created_at":1758941485,"status":"completed","completed_at":1758941585,"error":null,"expires_at":1759027985,"model":"sora-2","progress":100,"prompt":"A calico cat playing a piano on stage","remixed_from_video_id":null,"seconds":"12","size":"1280x720"})";

const std::string failed =
    R"({"id":"video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8","object":"video","created_at":1758941485,"status":"failed","completed_at":1758941500,"error":{"code":"moderation_blocked","message":"Your request was blocked by our moderation system."},"expires_at":null,"model":"sora-2","progress":0,"prompt":"A calico cat playing a piano on stage","remixed_from_video_id":null,"seconds":"8","size":"720x1280"})";

const std::string remix =
    R"({"id":"video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8","object":"video","created_at":1758941600,"status":"queued","completed_at":null,"error":null,"expires_at":null,"model":"sora-2","progress":0,"prompt":"Extend the scene with the cat taking a bow","remixed_from_video_id":"video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa7","seconds":"8","size":"720x1280"})";

// `s` with every `from` replaced by `to`.
std::string replaced(std::string s, std::string_view from, std::string_view to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

void expect_rewrite(const std::string& json, std::string_view model, std::string_view remixed,
                    const std::string& expected) {
    std::optional<std::string> out = aigw::rewrite_video_object(json, public_id, model, remixed);
    assert_true(out.has_value());
    assert_sv_equal(*out, expected);
}

// ---- reading ----

void read_queued(void**) {
    aigw::video_fields f = aigw::read_video_object(queued);
    assert_true(f.ok);
    assert_sv_equal(f.id, upstream_id);
    assert_sv_equal(f.object, "video");
    assert_sv_equal(f.model, "sora-2");
    assert_sv_equal(f.size, "720x1280");
    assert_true(f.remixed_from.empty());
    assert_true(f.status == task_status::queued);
    assert_int_equal(f.seconds, 8);
    assert_int_equal(f.progress, 0);
    assert_int_equal(f.created_at, 1758941485);
    assert_int_equal(f.completed_at, 0);
    assert_false(f.has_error);
}

void read_in_progress(void**) {
    aigw::video_fields f = aigw::read_video_object(in_progress);
    assert_true(f.ok);
    assert_true(f.status == task_status::in_progress);
    assert_sv_equal(f.model, "sora-2-pro");
    assert_sv_equal(f.size, "1792x1024");
    assert_int_equal(f.seconds, 4);
    assert_int_equal(f.progress, 33);
}

void read_completed(void**) {
    aigw::video_fields f = aigw::read_video_object(completed);
    assert_true(f.ok);
    assert_true(f.status == task_status::completed);
    assert_int_equal(f.seconds, 12);
    assert_int_equal(f.progress, 100);
    assert_int_equal(f.completed_at, 1758941585);
    assert_false(f.has_error);
}

void read_failed(void**) {
    aigw::video_fields f = aigw::read_video_object(failed);
    assert_true(f.ok);
    assert_true(f.status == task_status::failed);
    assert_true(f.has_error);
    assert_sv_equal(f.error_code, "moderation_blocked");
    assert_sv_equal(f.error_message, "Your request was blocked by our moderation system.");
    assert_int_equal(f.completed_at, 1758941500);
}

void read_remix(void**) {
    aigw::video_fields f = aigw::read_video_object(remix);
    assert_true(f.ok);
    assert_sv_equal(f.remixed_from, source_upstream);
    assert_int_equal(f.created_at, 1758941600);
}

void read_deleted(void**) {
    aigw::video_fields f =
        aigw::read_video_object(R"({"id":"video_abc","object":"video.deleted","deleted":true})");
    assert_true(f.ok);
    assert_sv_equal(f.object, "video.deleted");
    assert_false(f.status.has_value());
}

void read_odd_values(void**) {
    // Unknown status, seconds as a number, a fractional progress, escapes in strings.
    aigw::video_fields f = aigw::read_video_object(
        R"({"id":"video_\u0061bc","status":"cancelled","seconds":8,"progress":41.7,)"
        R"("model":"sora\/2","error":{"code":"x\"y","message":"caf\u00e9","param":null}})");
    assert_true(f.ok);
    assert_sv_equal(f.id, "video_abc");
    assert_false(f.status.has_value());
    assert_int_equal(f.seconds, 8);
    assert_int_equal(f.progress, 41);
    assert_sv_equal(f.model, "sora/2");
    assert_true(f.has_error);
    assert_sv_equal(f.error_code, "x\"y");
    assert_sv_equal(f.error_message, "caf\xC3\xA9");

    // Bad or missing values fall back to 0 / nothing.
    f = aigw::read_video_object(
        R"({"id":"v","status":5,"seconds":"eight","progress":250,"created_at":-4,)"
        R"("completed_at":"1758941585","error":"boom","size":720,"model":null})");
    assert_true(f.ok);
    assert_false(f.status.has_value());
    assert_int_equal(f.seconds, 0);
    assert_int_equal(f.progress, 100);
    assert_int_equal(f.created_at, 0);
    assert_int_equal(f.completed_at, 0);
    assert_false(f.has_error);
    assert_true(f.size.empty());
    assert_true(f.model.empty());

    f = aigw::read_video_object(R"({"id":"v","progress":-3,"seconds":8.5})");
    assert_true(f.ok);
    assert_int_equal(f.progress, 0);
    assert_int_equal(f.seconds, 0);
}

void read_bounds_error_text(void**) {
    std::string code(300, 'c');
    std::string message(2000, 'm');
    // A two-byte character across the bound is cut before it, never in half.
    message.replace(1023, 2, "\xC3\xA9");
    std::string json = R"({"id":"v","status":"failed","error":{"code":")" + code +
                       R"(","message":")" + message + R"("}})";
    aigw::video_fields f = aigw::read_video_object(json);
    assert_true(f.ok);
    assert_int_equal(f.error_code.size(), aigw::video_error_code_max);
    assert_int_equal(f.error_message.size(), 1023);
}

void read_refusals(void**) {
    const std::string_view bad[] = {
        "",
        "[]",
        "[1]",
        R"("video")",
        "null",
        "42",
        "{",
        R"({"id":"v")",
        R"({"id":"v"} x)",
        R"({"id":"v"}{})",
        R"({"id":"v","x":tru})",
        R"({"id":"v","x":[1,}})",
        "{}",
        R"({"object":"video"})",
        R"({"id":null})",
        R"({"id":42})",
        R"({"id":""})",
        R"({"id":"video/../x"})",
        R"({"id":"a b"})",
        R"({"id":"v","id":"w"})",
        R"({"id":"v","model":"a","model":"b"})",
        R"({"id":"v","remixed_from_video_id":"a","remixed_from_video_id":null})",
    };
    for (std::string_view json : bad) {
        assert_false(aigw::read_video_object(json).ok);
        assert_false(aigw::rewrite_video_object(json, public_id, "m", "r").has_value());
    }
    // A failed read is all defaults.
    aigw::video_fields f = aigw::read_video_object(R"({"id":42,"model":"sora-2","seconds":"8"})");
    assert_true(f.model.empty());
    assert_int_equal(f.seconds, 0);
}

// ---- rewriting ----

void rewrite_openai_examples(void**) {
    expect_rewrite(queued, "", "", replaced(queued, upstream_id, public_id));
    expect_rewrite(completed, "", "", replaced(completed, upstream_id, public_id));
    expect_rewrite(failed, "", "", replaced(failed, upstream_id, public_id));
    expect_rewrite(in_progress, "", "", replaced(in_progress, upstream_id, public_id));
    // The model renamed to its public name.
    expect_rewrite(queued, "video-fast", "",
                   replaced(replaced(queued, upstream_id, public_id), R"("model":"sora-2")",
                            R"("model":"video-fast")"));
    expect_rewrite(in_progress, "video-pro", "",
                   replaced(replaced(in_progress, upstream_id, public_id),
                            R"("model": "sora-2-pro")", R"("model": "video-pro")"));
    // A remix: both ids become the gateway's.
    expect_rewrite(remix, "", source_public,
                   replaced(replaced(remix, upstream_id, public_id), source_upstream,
                            source_public));
    expect_rewrite(remix, "sora", source_public,
                   replaced(replaced(replaced(remix, upstream_id, public_id), source_upstream,
                                     source_public),
                            R"("model":"sora-2")", R"("model":"sora")"));
    // remixed_from left alone when none is given, and a null one is not filled in.
    expect_rewrite(remix, "", "", replaced(remix, upstream_id, public_id));
    expect_rewrite(queued, "", source_public, replaced(queued, upstream_id, public_id));
}

void rewrite_escapes_and_white_space(void**) {
    // Escaped keys and values: the whole token is replaced, key escapes read as the key.
    expect_rewrite(R"({"\u0069d":"video_\u0061bc","model":"sora\/2","n":1})", "m", "",
                   R"({"\u0069d":")" + public_id + R"(","model":"m","n":1})");
    // Members named like the rewritten ones inside strings and nested objects stay as they are.
    std::string json =
        R"({"prompt":"say \"id\":\"x\" and \"model\":\"y\"","error":{"id":"e1","model":"z"},)"
        R"("id":"v1","meta":[{"id":"v2"}],"model":"sora-2"})";
    expect_rewrite(json, "pub", "",
                   R"({"prompt":"say \"id\":\"x\" and \"model\":\"y\"","error":{"id":"e1","model":"z"},)"
                   R"("id":")" + public_id + R"(","meta":[{"id":"v2"}],"model":"pub"})");
    // White space around every token is kept.
    json = "\r\n\t {  \"id\"\t:\n \"v1\"  ,\r\n\"model\" :\"sora-2\"\n,\"remixed_from_video_id\"  :  "
           "\"v0\" \t}\n ";
    expect_rewrite(json, "m", "r0",
                   "\r\n\t {  \"id\"\t:\n \"" + public_id +
                       "\"  ,\r\n\"model\" :\"m\"\n,\"remixed_from_video_id\"  :  \"r0\" \t}\n ");
    // Non-ASCII bytes elsewhere pass untouched.
    json = "{\"prompt\":\"caf\xC3\xA9 \xF0\x9F\x90\x88\",\"id\":\"v\"}";
    expect_rewrite(json, "", "",
                   "{\"prompt\":\"caf\xC3\xA9 \xF0\x9F\x90\x88\",\"id\":\"" + public_id + "\"}");
}

void rewrite_leaves_odd_members(void**) {
    // A model that is not a string, or absent, is not added or changed.
    expect_rewrite(R"({"id":"v","model":null})", "m", "",
                   R"({"id":")" + public_id + R"(","model":null})");
    expect_rewrite(R"({"id":"v"})", "m", "r", R"({"id":")" + public_id + R"("})");
    expect_rewrite(R"({"id":"v","remixed_from_video_id":7})", "", "r",
                   R"({"id":")" + public_id + R"(","remixed_from_video_id":7})");
    // Replacements are quoted as JSON.
    std::optional<std::string> out =
        aigw::rewrite_video_object(R"({"id":"v","model":"a"})", "p", "a\"b\\c", "");
    assert_true(out.has_value());
    assert_sv_equal(*out, R"({"id":"p","model":"a\"b\\c"})");
    // A replacement that is not UTF-8 is refused, not written.
    assert_false(aigw::rewrite_video_object(R"({"id":"v"})", "p\xFF", "", "").has_value());
}

// ---- writing ----

aigw::task_record sample_task() {
    aigw::task_record t;
    t.id = public_id;
    t.channel = "openai";
    t.upstream_id = upstream_id;
    t.account = std::string(64, 'a');
    t.model = "sora-2";
    t.size = "720x1280";
    t.seconds = 8;
    t.status = task_status::in_progress;
    t.progress = 40;
    t.created_at = 1758941485;
    return t;
}

void object_from_task(void**) {
    aigw::task_record t = sample_task();
    assert_sv_equal(aigw::video_object_from_task(t),
                    R"({"id":")" + public_id +
                        R"(","object":"video","created_at":1758941485,"status":"in_progress",)"
                        R"("completed_at":null,"error":null,"expires_at":null,"model":"sora-2",)"
                        R"("progress":40,"prompt":null,"remixed_from_video_id":null,)"
                        R"("seconds":"8","size":"720x1280"})");

    t.status = task_status::failed;
    t.completed_at = 1758941500;
    t.error_code = "moderation_blocked";
    t.error_message = "Blocked \"here\"";
    t.remixed_from = source_public;
    assert_sv_equal(aigw::video_object_from_task(t),
                    R"({"id":")" + public_id +
                        R"(","object":"video","created_at":1758941485,"status":"failed",)"
                        R"("completed_at":1758941500,"error":{"code":"moderation_blocked",)"
                        R"("message":"Blocked \"here\""},"expires_at":null,"model":"sora-2",)"
                        R"("progress":40,"prompt":null,"remixed_from_video_id":")" +
                        source_public + R"(","seconds":"8","size":"720x1280"})");

    // A failed task without the upstream's words still has an error object.
    t.error_code.clear();
    t.error_message.clear();
    aigw::video_fields f = aigw::read_video_object(aigw::video_object_from_task(t));
    assert_true(f.ok);
    assert_true(f.has_error);
    assert_sv_equal(f.error_code, "video_generation_failed");
    assert_false(f.error_message.empty());

    // Unknown size and seconds are null.
    t = sample_task();
    t.size.clear();
    t.seconds = 0;
    std::string json = aigw::video_object_from_task(t);
    assert_true(json.find(R"("seconds":null,"size":null})") != std::string::npos);
}

void object_from_task_reads_back(void**) {
    for (task_status s : {task_status::queued, task_status::in_progress, task_status::completed,
                          task_status::failed}) {
        aigw::task_record t = sample_task();
        t.status = s;
        t.progress = s == task_status::completed ? 100 : 7;
        t.completed_at = aigw::task_finished(s) ? 1758941999 : 0;
        t.error_code = s == task_status::failed ? "internal_error" : "";
        t.error_message = s == task_status::failed ? "caf\xC3\xA9 \"x\"" : "";
        t.remixed_from = s == task_status::queued ? source_public : "";
        aigw::video_fields f = aigw::read_video_object(aigw::video_object_from_task(t));
        assert_true(f.ok);
        assert_sv_equal(f.id, t.id);
        assert_sv_equal(f.object, "video");
        assert_sv_equal(f.model, t.model);
        assert_sv_equal(f.size, t.size);
        assert_sv_equal(f.remixed_from, t.remixed_from);
        assert_true(f.status == s);
        assert_int_equal(f.seconds, t.seconds);
        assert_int_equal(f.progress, t.progress);
        assert_int_equal(f.created_at, t.created_at);
        assert_int_equal(f.completed_at, t.completed_at);
        assert_true(f.has_error == (s == task_status::failed));
        assert_sv_equal(f.error_code, t.error_code);
        assert_sv_equal(f.error_message, t.error_message);
    }
}

void list_answers(void**) {
    assert_sv_equal(aigw::video_list({}, {}, false),
                    R"({"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false})");
    std::vector<std::string> objects = {R"({"id":"video_a","object":"video"})",
                                        R"({"id":"video_b","object":"video"})",
                                        R"({"id":"video_c","object":"video"})"};
    assert_sv_equal(aigw::video_list(objects, {"video_a", "video_b", "video_c"}, true),
                    R"({"object":"list","data":[{"id":"video_a","object":"video"},)"
                    R"({"id":"video_b","object":"video"},{"id":"video_c","object":"video"}],)"
                    R"("first_id":"video_a","last_id":"video_c","has_more":true})");
    assert_sv_equal(aigw::video_list({objects[0]}, {"video_a"}, false),
                    R"({"object":"list","data":[{"id":"video_a","object":"video"}],)"
                    R"("first_id":"video_a","last_id":"video_a","has_more":false})");
    // Objects rendered from tasks are copied in whole.
    aigw::task_record t = sample_task();
    std::string one = aigw::video_object_from_task(t);
    assert_sv_equal(aigw::video_list({one}, {t.id}, false),
                    R"({"object":"list","data":[)" + one + R"(],"first_id":")" + t.id +
                        R"(","last_id":")" + t.id + R"(","has_more":false})");
}

void deleted_answer(void**) {
    assert_sv_equal(aigw::video_deleted(public_id),
                    R"({"id":")" + public_id + R"(","object":"video.deleted","deleted":true})");
    aigw::video_fields f = aigw::read_video_object(aigw::video_deleted("video_x"));
    assert_true(f.ok);
    assert_sv_equal(f.id, "video_x");
    assert_sv_equal(f.object, "video.deleted");
}

// ---- requests ----

void expect_video_refusal(std::string_view json, std::string_view code, std::string_view param,
                          std::string_view message) {
    aigw::video_request r = aigw::read_video_request(json);
    assert_false(r.ok);
    assert_int_equal(r.rejection.status, 400);
    assert_sv_equal(r.rejection.type, "invalid_request_error");
    assert_sv_equal(r.rejection.code, code);
    assert_sv_equal(r.rejection.param, param);
    assert_sv_equal(r.rejection.message, message);
    assert_sv_equal(r.error, message);
}

void video_requests(void**) {
    aigw::video_request r = aigw::read_video_request(
        R"({"model":"sora-2","prompt":"A calico cat","seconds":"8","size":"720x1280"})");
    assert_true(r.ok);
    assert_true(r.error.empty());
    assert_sv_equal(r.model, "sora-2");
    assert_int_equal(r.seconds, 8);
    assert_sv_equal(r.size, "720x1280");

    r = aigw::read_video_request(R"({"prompt":"x","seconds":12})");
    assert_true(r.ok);
    assert_int_equal(r.seconds, 12);
    assert_true(r.model.empty());
    assert_true(r.size.empty());

    r = aigw::read_video_request(R"({"prompt":"x","seconds":4.0,"size":null,"model":null})");
    assert_true(r.ok);
    assert_int_equal(r.seconds, 4);

    r = aigw::read_video_request(R"({"prompt":"x","seconds":"0012","input_reference":{"a":[1]}})");
    assert_true(r.ok);
    assert_int_equal(r.seconds, 12);

    r = aigw::read_video_request("{}");
    assert_true(r.ok);
    assert_int_equal(r.seconds, 0);
    assert_int_equal(aigw::video_default_seconds, 4);
    assert_sv_equal(aigw::video_default_size, "720x1280");

    // The padded form reads the caller's buffer in place.
    std::string body = R"({"seconds":"4","model":"sora-2-pro"})";
    std::size_t len = body.size();
    body.append(aigw::json_padding, ' ');
    r = aigw::read_video_request(body.data(), len, body.size());
    assert_true(r.ok);
    assert_sv_equal(r.model, "sora-2-pro");
    r = aigw::read_video_request(body.data(), len, len + 1);
    assert_false(r.ok);
}

void video_request_refusals(void**) {
    expect_video_refusal(R"({"seconds":{}})", "invalid_type", "seconds",
                         "Invalid type for 'seconds': expected a string, but got an object "
                         "instead.");
    expect_video_refusal(R"({"seconds":true})", "invalid_type", "seconds",
                         "Invalid type for 'seconds': expected a string, but got a boolean "
                         "instead.");
    expect_video_refusal(R"({"seconds":["8"]})", "invalid_type", "seconds",
                         "Invalid type for 'seconds': expected a string, but got an array "
                         "instead.");
    expect_video_refusal(R"({"seconds":"eight"})", "invalid_value", "seconds",
                         "Invalid value: 'eight'. Supported values are: whole numbers of seconds "
                         "such as '4', '8' and '12'.");
    expect_video_refusal(R"({"seconds":"-4"})", "invalid_value", "seconds",
                         "Invalid value: '-4'. Supported values are: whole numbers of seconds "
                         "such as '4', '8' and '12'.");
    expect_video_refusal(R"({"seconds":" 4"})", "invalid_value", "seconds",
                         "Invalid value: ' 4'. Supported values are: whole numbers of seconds "
                         "such as '4', '8' and '12'.");
    expect_video_refusal(R"({"seconds":4.5})", "invalid_value", "seconds",
                         "Invalid value: '4.5'. Supported values are: whole numbers of seconds "
                         "such as '4', '8' and '12'.");
    expect_video_refusal(R"({"seconds":"0"})", "integer_below_min_value", "seconds",
                         "Invalid 'seconds': integer below minimum value. Expected a value >= 1, "
                         "but got 0 instead.");
    expect_video_refusal(R"({"seconds":-1})", "integer_below_min_value", "seconds",
                         "Invalid 'seconds': integer below minimum value. Expected a value >= 1, "
                         "but got -1 instead.");
    expect_video_refusal(R"({"seconds":"3601"})", "integer_above_max_value", "seconds",
                         "Invalid 'seconds': integer above maximum value. Expected a value <= "
                         "3600, but got 3601 instead.");
    expect_video_refusal(R"({"seconds":"99999999999999999999999"})", "integer_above_max_value",
                         "seconds",
                         "Invalid 'seconds': integer above maximum value. Expected a value <= "
                         "3600, but got 99999999999999999999999 instead.");
    expect_video_refusal(R"({"seconds":18446744073709551615})", "integer_above_max_value",
                         "seconds",
                         "Invalid 'seconds': integer above maximum value. Expected a value <= "
                         "3600, but got 18446744073709551615 instead.");
    expect_video_refusal(R"({"model":5})", "invalid_type", "model",
                         "Invalid type for 'model': expected a string, but got a number instead.");
    expect_video_refusal(R"({"size":[720,1280]})", "invalid_type", "size",
                         "Invalid type for 'size': expected a string, but got an array instead.");
    expect_video_refusal(R"({"model":")" + std::string(257, 'm') + R"("})",
                         "string_above_max_length", "model",
                         "Invalid 'model': string too long. Expected a string with maximum "
                         "length 256, but got a string with length 257 instead.");
    expect_video_refusal(R"({"size":")" + std::string(65, 'x') + R"("})",
                         "string_above_max_length", "size",
                         "Invalid 'size': string too long. Expected a string with maximum length "
                         "64, but got a string with length 65 instead.");
    expect_video_refusal(R"({"seconds":"4","prompt":"x","seconds":"12"})", "duplicate_parameter",
                         "seconds",
                         "Duplicate parameter 'seconds': the request body gives it more than "
                         "once. Send each parameter once.");
    expect_video_refusal(R"({"model":"a","\u006dodel":"b"})", "duplicate_parameter", "model",
                         "Duplicate parameter 'model': the request body gives it more than once. "
                         "Send each parameter once.");
    // The first refusal is answered; invalid JSON anywhere wins over it.
    expect_video_refusal(R"({"model":5,"seconds":{}})", "invalid_type", "model",
                         "Invalid type for 'model': expected a string, but got a number instead.");
    aigw::video_request r = aigw::read_video_request(R"({"seconds":{},"x":tru})");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.code, "invalid_json");
    r = aigw::read_video_request(R"({"seconds":"8"} trailing)");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.code, "invalid_json");
    r = aigw::read_video_request("");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.code, "invalid_json");
    r = aigw::read_video_request(R"(["seconds"])");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.message, "The request body must be a JSON object.");
    r = aigw::read_video_request(R"([1,)");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.code, "invalid_json");
}

void expect_image_refusal(std::string_view json, std::string_view code, std::string_view param,
                          std::string_view message) {
    aigw::image_request r = aigw::read_image_request(json);
    assert_false(r.ok);
    assert_int_equal(r.rejection.status, 400);
    assert_sv_equal(r.rejection.code, code);
    assert_sv_equal(r.rejection.param, param);
    assert_sv_equal(r.rejection.message, message);
    assert_sv_equal(r.error, message);
}

void image_requests(void**) {
    aigw::image_request r = aigw::read_image_request(
        R"({"model":"gpt-image-1","prompt":"a cat","n":3,"size":"1024x1536","quality":"high"})");
    assert_true(r.ok);
    assert_int_equal(r.n, 3);
    assert_sv_equal(r.size, "1024x1536");
    assert_sv_equal(r.quality, "high");

    r = aigw::read_image_request(R"({"prompt":"a cat"})");
    assert_true(r.ok);
    assert_int_equal(r.n, 1);
    assert_true(r.size.empty());
    assert_true(r.quality.empty());

    r = aigw::read_image_request(R"({"prompt":"a cat","n":null,"size":null,"quality":null})");
    assert_true(r.ok);
    assert_int_equal(r.n, 1);

    r = aigw::read_image_request(R"({"n":10,"quality":"hd"})");
    assert_true(r.ok);
    assert_int_equal(r.n, 10);
    r = aigw::read_image_request(R"({"n":2.0})");
    assert_true(r.ok);
    assert_int_equal(r.n, 2);

    std::string body = R"({"n":4})";
    std::size_t len = body.size();
    body.append(aigw::json_padding, ' ');
    r = aigw::read_image_request(body.data(), len, body.size());
    assert_true(r.ok);
    assert_int_equal(r.n, 4);
}

void image_request_refusals(void**) {
    expect_image_refusal(R"({"n":"2"})", "invalid_type", "n",
                         "Invalid type for 'n': expected an integer, but got a string instead.");
    expect_image_refusal(R"({"n":2.5})", "invalid_type", "n",
                         "Invalid type for 'n': expected an integer, but got a decimal instead.");
    expect_image_refusal(R"({"n":[2]})", "invalid_type", "n",
                         "Invalid type for 'n': expected an integer, but got an array instead.");
    expect_image_refusal(R"({"n":0})", "integer_below_min_value", "n",
                         "Invalid 'n': integer below minimum value. Expected a value >= 1, but "
                         "got 0 instead.");
    expect_image_refusal(R"({"n":-3})", "integer_below_min_value", "n",
                         "Invalid 'n': integer below minimum value. Expected a value >= 1, but "
                         "got -3 instead.");
    expect_image_refusal(R"({"n":11})", "integer_above_max_value", "n",
                         "Invalid 'n': integer above maximum value. Expected a value <= 10, but "
                         "got 11 instead.");
    expect_image_refusal(R"({"n":1e3})", "integer_above_max_value", "n",
                         "Invalid 'n': integer above maximum value. Expected a value <= 10, but "
                         "got 1e3 instead.");
    expect_image_refusal(R"({"size":1024})", "invalid_type", "size",
                         "Invalid type for 'size': expected a string, but got a number instead.");
    expect_image_refusal(R"({"quality":{"x":1}})", "invalid_type", "quality",
                         "Invalid type for 'quality': expected a string, but got an object "
                         "instead.");
    expect_image_refusal(R"({"n":1,"n":9})", "duplicate_parameter", "n",
                         "Duplicate parameter 'n': the request body gives it more than once. "
                         "Send each parameter once.");
    aigw::image_request r = aigw::read_image_request("[]");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.message, "The request body must be a JSON object.");
    r = aigw::read_image_request(R"({"n":2)");
    assert_false(r.ok);
    assert_sv_equal(r.rejection.code, "invalid_json");
}

// ---- answers ----

void image_responses(void**) {
    const std::string b64(4096, 'A');
    std::string json = R"({"created":1713833628,"data":[{"b64_json":")" + b64 +
                       R"("},{"b64_json":")" + b64 + R"("},{"b64_json":")" + b64 +
                       R"("}],"background":"opaque","output_format":"png","quality":"high",)"
                       R"("size":"1024x1024","usage":{"input_tokens":50,"output_tokens":4160,)"
                       R"("total_tokens":4210}})";
    aigw::image_response r = aigw::read_image_response(json);
    assert_true(r.ok);
    assert_int_equal(r.count, 3);
    assert_sv_equal(r.size, "1024x1024");
    assert_sv_equal(r.quality, "high");

    // dall-e answers: urls, no size or quality.
    r = aigw::read_image_response(
        R"({"created":1,"data":[{"url":"https://example.com/a.png","revised_prompt":"x"}]})");
    assert_true(r.ok);
    assert_int_equal(r.count, 1);
    assert_true(r.size.empty());
    assert_true(r.quality.empty());

    r = aigw::read_image_response(R"({"created":1,"data":[]})");
    assert_true(r.ok);
    assert_int_equal(r.count, 0);
    r = aigw::read_image_response(R"({"created":1})");
    assert_true(r.ok);
    assert_int_equal(r.count, 0);
    r = aigw::read_image_response(R"({"data":{"b64_json":"x"}})");
    assert_true(r.ok);
    assert_int_equal(r.count, 0);

    for (std::string_view bad : {"", "[]", R"({"data":[{}],)", R"({"data":[{}]} x)"}) {
        r = aigw::read_image_response(bad);
        assert_false(r.ok);
        assert_int_equal(r.count, 0);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_queued),
        cmocka_unit_test(read_in_progress),
        cmocka_unit_test(read_completed),
        cmocka_unit_test(read_failed),
        cmocka_unit_test(read_remix),
        cmocka_unit_test(read_deleted),
        cmocka_unit_test(read_odd_values),
        cmocka_unit_test(read_bounds_error_text),
        cmocka_unit_test(read_refusals),
        cmocka_unit_test(rewrite_openai_examples),
        cmocka_unit_test(rewrite_escapes_and_white_space),
        cmocka_unit_test(rewrite_leaves_odd_members),
        cmocka_unit_test(object_from_task),
        cmocka_unit_test(object_from_task_reads_back),
        cmocka_unit_test(list_answers),
        cmocka_unit_test(deleted_answer),
        cmocka_unit_test(video_requests),
        cmocka_unit_test(video_request_refusals),
        cmocka_unit_test(image_requests),
        cmocka_unit_test(image_request_refusals),
        cmocka_unit_test(image_responses),
    };
    return cmocka_run_group_tests_name("media_video_object", tests, nullptr, nullptr);
}
