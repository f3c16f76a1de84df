// find_endpoint: which paths the gateway serves, and with what method and body rules.
#include <string>
#include <string_view>

#include "aigw/dialects/endpoints.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

using aigw::endpoint_id;
using aigw::endpoint_info;
using aigw::find_endpoint;
using aigw::http_method;

namespace {

void assert_not_found(std::string_view path) {
    const endpoint_info* ep = find_endpoint(path);
    if (ep != nullptr) {
        print_error("path [%.*s] matched endpoint %d\n", static_cast<int>(path.size()),
                    path.data(), static_cast<int>(ep->id));
    }
    assert_null(ep);
}

const endpoint_info* assert_found(std::string_view path, endpoint_id id) {
    const endpoint_info* ep = find_endpoint(path);
    if (ep == nullptr) {
        print_error("path [%.*s] not found\n", static_cast<int>(path.size()), path.data());
    }
    assert_non_null(ep);
    assert_int_equal(static_cast<int>(ep->id), static_cast<int>(id));
    return ep;
}

void chat_completions(void**) {
    const endpoint_info* ep = assert_found("/v1/chat/completions", endpoint_id::chat_completions);
    assert_true(ep->path == "/v1/chat/completions");
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::post));
    assert_false(ep->prefix);
    assert_true(ep->has_json_body);
    assert_true(ep->model_required);
    assert_true(ep->streamable);
    assert_true(ep->billed);
    assert_true(ep->chat);
}

void messages(void**) {
    const endpoint_info* ep = assert_found("/v1/messages", endpoint_id::messages);
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::post));
    assert_true(ep->has_json_body);
    assert_true(ep->model_required);
    assert_true(ep->streamable);
    assert_true(ep->billed);
    assert_true(ep->chat);
    // Free, unstreamed, and not a chat request: never translated, never billed.
    ep = assert_found("/v1/messages/count_tokens", endpoint_id::count_tokens);
    assert_true(ep->has_json_body);
    assert_true(ep->model_required);
    assert_false(ep->streamable);
    assert_false(ep->billed);
    assert_false(ep->chat);
    assert_not_found("/v1/messages/");
    assert_not_found("/v1/messages/batches");
}

void completions(void**) {
    const endpoint_info* ep = assert_found("/v1/completions", endpoint_id::completions);
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::post));
    assert_false(ep->prefix);
    assert_true(ep->has_json_body);
    assert_true(ep->model_required);
    assert_true(ep->streamable);
}

void embeddings(void**) {
    const endpoint_info* ep = assert_found("/v1/embeddings", endpoint_id::embeddings);
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::post));
    assert_false(ep->prefix);
    assert_true(ep->has_json_body);
    assert_true(ep->model_required);
    assert_false(ep->streamable);
    assert_true(ep->billed);
    assert_false(ep->chat);
}

void models_list(void**) {
    const endpoint_info* ep = assert_found("/v1/models", endpoint_id::models);
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::get));
    assert_false(ep->prefix);
    assert_false(ep->has_json_body);
    assert_false(ep->model_required);
    assert_false(ep->streamable);
    assert_false(ep->billed);
}

void model_retrieve(void**) {
    const endpoint_info* ep = assert_found("/v1/models/gpt-4o", endpoint_id::model_retrieve);
    assert_int_equal(static_cast<int>(ep->method), static_cast<int>(http_method::get));
    assert_true(ep->prefix);
    assert_true(ep->path == "/v1/models/");
    assert_false(ep->has_json_body);
    assert_false(ep->model_required);
    assert_false(ep->streamable);

    // Ids as providers spell them: dots, colons (fine-tuned), one character.
    assert_found("/v1/models/gpt-3.5-turbo-0125", endpoint_id::model_retrieve);
    assert_found("/v1/models/ft:gpt-4o-mini:acme:custom:9abc", endpoint_id::model_retrieve);
    assert_found("/v1/models/x", endpoint_id::model_retrieve);
    assert_found("/v1/models/models", endpoint_id::model_retrieve);
    assert_found("/v1/models/.x", endpoint_id::model_retrieve);
}

void model_retrieve_prefix_rule(void**) {
    // The id is not empty and has no empty segment; slashes inside are allowed
    // (Hugging Face style ids served by vLLM or OpenRouter).
    assert_not_found("/v1/models/");
    assert_not_found("/v1/models//");
    assert_not_found("/v1/models/gpt-4o/");
    assert_not_found("/v1/models//gpt-4o");
    assert_not_found("/v1/models/a//b");
    assert_found("/v1/models/a/b", endpoint_id::model_retrieve);
    assert_not_found("/v1/models/.");
    assert_not_found("/v1/models/a/../b");
    assert_not_found("/v1/models/a/..");
    assert_found("/v1/models/meta-llama/Llama-3-8B", endpoint_id::model_retrieve);
    // The prefix is "/v1/models/", not "/v1/models".
    assert_not_found("/v1/modelsx");
    assert_not_found("/v1/models-gpt-4o");
    assert_not_found("/v1/model/gpt-4o");
}

void near_misses(void**) {
    const char* const paths[] = {
        "/v1/chat/completions/", "/v1/chat/completion",   "/v1/chat/completionss",
        "/V1/chat/completions",  "/v1/Chat/Completions",  "/v1/CHAT/COMPLETIONS",
        "v1/chat/completions",   "//v1/chat/completions", "/v1//chat/completions",
        "/v1/chat//completions", "/v2/chat/completions",  "/chat/completions",
        "/v1/chat",              "/v1/chat/",             "/v1/completions/",
        "/v1/completion",        "/v1/embeddings/",       "/v1/embedding",
        "/v1/Embeddings",        "/v1/models/../chat/completions",
        "/v1/Models",            "/V1/models",            "/v1/models/",
        "/v1",                   "/v1/",                  "/",
        "",                      " /v1/models",           "/v1/models ",
        "/v1/chat/completions?stream=true",              "/v1/chat/completions#x",
        "/v1/chat/completions%20",                       "/v1/chat/completions.json",
        "/api/v1/chat/completions",
    };
    for (const char* p : paths) {
        assert_not_found(p);
    }
}

void embedded_nul(void**) {
    // The path is a length-delimited view: a NUL inside is not an end.
    using namespace std::string_view_literals;
    assert_not_found("/v1/models\0"sv);
    assert_not_found("/v1/chat/completions\0"sv);
    assert_not_found("/v1/chat/completions\0/x"sv);
    assert_not_found("\0/v1/models"sv);
    // A view cut from a longer buffer matches on its own length only.
    const std::string buf = "/v1/embeddingsXYZ";
    assert_found(std::string_view(buf).substr(0, 14), endpoint_id::embeddings);
    assert_not_found(buf);
}

void stable_table(void**) {
    // Callers may keep the pointer: the table is static.
    assert_ptr_equal(find_endpoint("/v1/models/a"), find_endpoint("/v1/models/b"));
    assert_ptr_equal(find_endpoint("/v1/models"), find_endpoint(std::string("/v1/models")));
    assert_ptr_not_equal(find_endpoint("/v1/models"), find_endpoint("/v1/models/a"));
}

void method_names(void**) {
    assert_true(aigw::method_name(http_method::get) == "GET");
    assert_true(aigw::method_name(http_method::post) == "POST");
    // The name of each endpoint's method is what an HTTP request line carries.
    assert_true(aigw::method_name(find_endpoint("/v1/chat/completions")->method) == "POST");
    assert_true(aigw::method_name(find_endpoint("/v1/models")->method) == "GET");
}

void api_path_strips_mount_prefix(void**) {
    using aigw::api_path;
    assert_true(api_path("/v1/chat/completions") == "/v1/chat/completions");
    assert_true(api_path("/openai/v1/chat/completions") == "/v1/chat/completions");
    assert_true(api_path("/a/b/v1/models/gpt-4o") == "/v1/models/gpt-4o");
    assert_true(api_path("/v1/") == "/v1/");
    assert_true(api_path("/g/v1beta/models/m:generateContent") == "/v1beta/models/m:generateContent");
    // The first root in the path, whichever it is.
    assert_true(api_path("/v1beta/x/v1/y") == "/v1beta/x/v1/y");
    assert_true(api_path("/p/v1/x/v1beta/y") == "/v1/x/v1beta/y");
    assert_true(api_path("/v1x/v1beta/y") == "/v1beta/y");
    assert_true(api_path("//v1/") == "/v1/");
    // No "/v1/" segment: nothing.
    assert_true(api_path("").empty());
    assert_true(api_path("/").empty());
    assert_true(api_path("/v1").empty());
    assert_true(api_path("/chat/completions").empty());
    assert_true(api_path("/V1/models").empty());
    assert_true(api_path("/api-v1/models").empty());
    // The result is a view into the input, so it needs no copy.
    const std::string uri = "/gw/v1/embeddings";
    std::string_view p = api_path(uri);
    assert_ptr_equal(p.data(), uri.data() + 3);
    assert_int_equal(p.size(), uri.size() - 3);
    // Together with find_endpoint: a mounted path finds the same endpoint.
    assert_ptr_equal(find_endpoint(api_path("/openai/v1/models")), find_endpoint("/v1/models"));
    assert_null(find_endpoint(api_path("/openai/v1/chat/completion")));
}

void media_endpoints(void**) {
    const endpoint_info* g = assert_found("/v1/images/generations", endpoint_id::images_generations);
    assert_true(g->has_json_body && g->model_required && g->streamable && g->billed);
    assert_false(g->multipart);
    const endpoint_info* e = assert_found("/v1/images/edits", endpoint_id::images_edits);
    assert_true(e->multipart && e->billed && e->streamable);
    assert_false(e->has_json_body);
    const endpoint_info* v = assert_found("/v1/images/variations", endpoint_id::images_variations);
    assert_true(v->multipart && !v->streamable);
    const endpoint_info* create = assert_found("/v1/videos", endpoint_id::videos);
    assert_true(create->multipart && create->method == http_method::get_post);
    assert_true(aigw::method_name(create->method) == "GET, POST");
    assert_found("/v1/videos/video_123", endpoint_id::video);
    assert_found("/v1/videos/video_123/content", endpoint_id::video_content);
    assert_found("/v1/videos/video_123/remix", endpoint_id::video_remix);
    // A task id is one segment: no slash, no dot segment, not empty.
    assert_not_found("/v1/videos/");
    assert_not_found("/v1/videos/a/b");
    assert_not_found("/v1/videos/a/b/content");
    assert_not_found("/v1/videos//content");
    assert_not_found("/v1/videos/../content");
    assert_not_found("/v1/videos/video_1/other");
    assert_not_found("/v1/images");
    assert_not_found("/v1/images/generation");
    // Families, as a key's endpoints list names them.
    assert_true(aigw::endpoint_family(*g) == "images");
    assert_true(aigw::endpoint_family(*e) == "images");
    assert_true(aigw::endpoint_family(*create) == "videos");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1/videos/x/content")) == "videos");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1/chat/completions")) == "chat");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1/messages/count_tokens")) == "messages");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1beta/models/g:countTokens")) == "gemini");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1/responses/resp_1")) == "responses");
    assert_true(aigw::endpoint_family(*find_endpoint("/v1/models/gpt-4o")) == "models");
    assert_true(aigw::endpoint_label(*find_endpoint("/v1/videos/v1/content")) ==
                "/v1/videos/{id}/content");
    assert_true(aigw::endpoint_label(*find_endpoint("/v1/videos/v1")) == "/v1/videos/{id}");
    assert_true(aigw::endpoint_label(*create) == "/v1/videos");
    // The kept labels are the same words; an endpoint outside the table gets its path.
    for (const char* path : {"/v1/chat/completions", "/v1/videos/v1/content",
                             "/v1beta/models/g:streamGenerateContent"}) {
        const aigw::endpoint_info* ep = find_endpoint(path);
        assert_non_null(ep);
        assert_true(aigw::endpoint_label_view(*ep) == aigw::endpoint_label(*ep));
    }
    aigw::endpoint_info outside = *find_endpoint("/v1/embeddings");
    assert_true(aigw::endpoint_label_view(outside) == "/v1/embeddings");
    assert_true(aigw::is_video_endpoint(endpoint_id::video_remix));
    assert_false(aigw::is_video_endpoint(endpoint_id::images_edits));
    assert_true(aigw::is_image_endpoint(endpoint_id::images_variations));
    assert_false(aigw::is_image_endpoint(endpoint_id::videos));
    assert_false(aigw::is_image_endpoint(endpoint_id::chat_completions));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_completions),
        cmocka_unit_test(messages),
        cmocka_unit_test(completions),
        cmocka_unit_test(embeddings),
        cmocka_unit_test(models_list),
        cmocka_unit_test(model_retrieve),
        cmocka_unit_test(model_retrieve_prefix_rule),
        cmocka_unit_test(near_misses),
        cmocka_unit_test(embedded_nul),
        cmocka_unit_test(stable_table),
        cmocka_unit_test(method_names),
        cmocka_unit_test(api_path_strips_mount_prefix),
        cmocka_unit_test(media_endpoints),
    };
    return cmocka_run_group_tests_name("endpoints", tests, nullptr, nullptr);
}
