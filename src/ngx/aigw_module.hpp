// Declarations shared by the module's glue files: configuration, per-request context and
// the functions one file calls in another.
#pragma once

#include <type_traits>

#include "aigw/endpoints.hpp"
#include "aigw/errors.hpp"
#include "ngx/ngx.hpp"

extern "C" ngx_module_t ngx_http_aigw_module;

struct ngx_http_aigw_loc_conf_t {
    ngx_flag_t enable;   // aigw on|off
    ngx_str_t pass;      // aigw_pass: prefix of the channel's internal location
};

// Per-request state, shared by the main request and its upstream subrequest (both point to
// the same object). It lives in the request pool and is trivially destructible.
struct ngx_http_aigw_ctx_t {
    ngx_http_request_t* main;
    ngx_http_request_t* sr;                  // the current upstream attempt
    const aigw::endpoint_info* endpoint;

    ngx_str_t request_id;
    ngx_str_t model;                         // as the client named it
    ngx_chain_t* upstream_body;              // what the subrequest sends
    off_t upstream_body_len;

    ngx_str_t replacement;                   // OpenAI JSON replacing an NGINX error page
    ngx_int_t sr_rc;                         // what finalized the subrequest
    ngx_uint_t upstream_status;              // status line the upstream sent, 0 if none
    ngx_uint_t swallowed_status;             // upstream error whose non-JSON body we dropped

    unsigned stream:1;                       // request asked for stream:true
    unsigned sr_done:1;                      // subrequest finished, main may resume
    unsigned own_response:1;                 // main's headers come from us, not an NGINX page
    unsigned header_sent:1;                  // main's headers went to the client
    unsigned sse:1;                          // response is text/event-stream
    unsigned swallow:1;                      // drop the subrequest's body
    unsigned body_started:1;                 // a body byte went to the client
    unsigned upstream_complete:1;            // the upstream's body ended cleanly
    unsigned replace_body:1;                 // replace an NGINX error page's body
    unsigned replacement_sent:1;
};

static_assert(std::is_trivially_destructible_v<ngx_http_aigw_ctx_t>,
              "ctx lives in the request pool without a cleanup");

// module.cpp
ngx_http_aigw_ctx_t* ngx_http_aigw_get_ctx(ngx_http_request_t* r);  // main's ctx, created once
ngx_str_t* ngx_http_aigw_request_id(ngx_http_request_t* r);

// content.cpp
ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept;

// filter.cpp
ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t* cf);

// respond.cpp
ngx_int_t ngx_http_aigw_send_error(ngx_http_request_t* r, const aigw::api_error& e);
ngx_int_t ngx_http_aigw_send_sse_error(ngx_http_request_t* r, const aigw::api_error& e);
ngx_int_t ngx_http_aigw_set_header(ngx_http_request_t* r, std::string_view name,
                                   const ngx_str_t& value);

// variables.cpp
ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf);

// directives.cpp
extern ngx_command_t ngx_http_aigw_commands[];
void* ngx_http_aigw_create_loc_conf(ngx_conf_t* cf) noexcept;
char* ngx_http_aigw_merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) noexcept;
