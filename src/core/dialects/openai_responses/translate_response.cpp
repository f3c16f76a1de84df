// A whole response object to and from the pivot response (translate.hpp).
#include <utility>

#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/dialects/openai_responses/usage.hpp"
#include "core/dialects/openai_chat/wire.hpp"
#include "core/dialects/openai_responses/wire.hpp"

namespace aigw::responses {

namespace {

namespace dom = simdjson::dom;
using openai_wire::string_member;
using wire::output_item;

// The `member` strings of the parts in the item's `list` whose type is `type`, joined (a
// blank line between them when `spaced`).
std::string joined(dom::object item, std::string_view list, std::string_view type,
                   std::string_view member, bool spaced) {
    std::string out;
    dom::array parts;
    if (item[list].get_array().get(parts)) return out;
    for (dom::element p : parts) {
        dom::object o;
        if (p.get_object().get(o) || string_member(o, "type") != type) continue;
        std::string_view s = string_member(o, member);
        if (s.empty()) continue;
        if (spaced && !out.empty()) out += "\n\n";
        out += s;
    }
    return out;
}

api::finish_reason finish_of(dom::object top, bool called_tools) {
    if (string_member(top, "status") == "incomplete") {
        dom::object details;
        if (top["incomplete_details"].get_object().get(details) == simdjson::SUCCESS &&
            string_member(details, "reason") == "content_filter") {
            return api::finish_reason::content_filter;
        }
        return api::finish_reason::length;
    }
    return called_tools ? api::finish_reason::tool_calls : api::finish_reason::stop;
}

}  // namespace

bool response_to_pivot(std::string_view body, api::response& out) {
    simdjson::dom::parser spare;
    dom::element root;
    dom::object top;
    dom::array output;
    if (openai_wire::parse(body, spare, root) || root.get_object().get(top) ||
        top["output"].get_array().get(output)) {
        return false;
    }
    std::string_view object = string_member(top, "object");
    if (!object.empty() && object != "response") return false;

    api::response resp;
    resp.id = string_member(top, "id");
    resp.model = string_member(top, "model");
    std::int64_t created = 0;
    if (top["created_at"].get_int64().get(created) == simdjson::SUCCESS) resp.created = created;
    for (dom::element e : output) {
        dom::object item;
        if (e.get_object().get(item)) continue;
        std::string_view type = string_member(item, "type");
        if (type == "message") {
            resp.text += joined(item, "content", "output_text", "text", false);
            resp.refusal += joined(item, "content", "refusal", "refusal", false);
        } else if (type == "reasoning") {
            std::string text = joined(item, "summary", "summary_text", "text", true);
            if (text.empty()) text = joined(item, "content", "reasoning_text", "text", true);
            if (!resp.reasoning.empty() && !text.empty()) resp.reasoning += "\n\n";
            resp.reasoning += text;
        } else if (type == "function_call" || type == "custom_tool_call") {
            api::tool_call call;
            call.id = string_member(item, "call_id");
            call.name = string_member(item, "name");
            call.arguments = type == "function_call"
                                 ? std::string(string_member(item, "arguments"))
                                 : wire::custom_arguments(string_member(item, "input"));
            resp.tool_calls.push_back(std::move(call));
        }
        // Built-in tools' items (web_search_call, ...): nothing another dialect can show.
    }
    resp.finish = finish_of(top, !resp.tool_calls.empty());
    // The same reading billing does in passthrough, so both count the same tokens.
    resp.tokens = usage_reader().from_response(body);
    out = std::move(resp);
    return true;
}

std::string response_json(const api::response& resp, const api::request& req) {
    wire::response_head head;
    head.id = wire::response_id(resp.id);
    head.created_at = openai_wire::created_or_now(resp.created);
    head.model = resp.model.empty() ? req.model : resp.model;
    head.status = wire::status_of(resp.finish);
    head.incomplete_reason = wire::incomplete_reason_of(resp.finish);
    if (resp.tokens.present || resp.tokens.estimated) head.tokens = &resp.tokens;

    std::vector<output_item> items;
    auto add = [&](output_item::kind kind, std::string_view prefix) -> output_item& {
        items.emplace_back();
        items.back().type = kind;
        items.back().status = "completed";
        items.back().id = wire::item_id(prefix, head.id, items.size() - 1);
        return items.back();
    };
    if (!resp.reasoning.empty()) add(output_item::kind::reasoning, "rs_").text = resp.reasoning;
    if (!resp.text.empty() || !resp.refusal.empty()) {
        output_item& message = add(output_item::kind::message, "msg_");
        if (!resp.text.empty()) message.parts.push_back({false, resp.text});
        if (!resp.refusal.empty()) message.parts.push_back({true, resp.refusal});
    }
    for (const api::tool_call& call : resp.tool_calls) {
        bool custom = wire::is_custom_tool(req, call.name);
        output_item& item = custom ? add(output_item::kind::custom_tool_call, "ctc_")
                                   : add(output_item::kind::function_call, "fc_");
        item.call_id = call.id.empty() ? wire::item_id("call_", head.id, items.size() - 1)
                                       : call.id;
        item.name = call.name;
        item.text = call.arguments;
    }
    // The answer was cut in its last item.
    if (head.status == "incomplete" && !items.empty()) items.back().status = "incomplete";

    return json_text([&](json_writer& w) { wire::write_response(w, head, items, req); });
}

std::string response_from_pivot(const api::response& resp) {
    return response_json(resp, api::request{});
}

}  // namespace aigw::responses
