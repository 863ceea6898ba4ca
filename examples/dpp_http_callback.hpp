// The library's callback served by D++'s own HTTP server (dpp::http_server), for a D++ bot that
// runs one anyway (examples/dpp_bot.cpp with DISCORD_HTTP_PORT): the web server does not listen
// (web_server_config::listen false) and each request on its paths is handed to it.
#pragma once

#include <discord/oauth2.hpp>

#include <dpp/dpp.h>

#include <asio/use_future.hpp>

#include <string>

namespace example {

/// D++'s handler: calls it on a D++ worker and sends the response once it returns, so it waits
/// there for the library's answer (the callback exchanges the code with Discord: a round trip).
/// D++ 10.1 does not say a request's method: one with a body is taken for the events path's
/// POST, any other for a GET (a HEAD too: D++ then sends the body, as it does for its own).
inline void serve_with_library(discord::oauth2::web_server& web, dpp::http_server_request* req)
{
    namespace oauth2 = discord::oauth2;
    oauth2::incoming_request in;
    in.body = req->get_request_body();
    in.method = in.body.empty() ? "GET" : "POST";
    in.target = req->get_path();
    for (const auto& [name, value] : req->get_headers())
        in.headers.emplace_back(name, value);
    if (!web.handles(in.method, in.target)) {
        req->set_status(404);
        req->set_response_body("not found");
        return;
    }
    auto out = web.async_handle_request(std::move(in), asio::use_future).get();
    req->set_status(static_cast<uint16_t>(out.status));
    for (const auto& [name, value] : out.headers)
        req->set_response_header(name, value);
    req->set_response_body(out.body);
}

} // namespace example
