// A route's JSON request body, read as Discord reads one: Content-Type application/json and an
// object, or 400 with code 50109.
#pragma once

#include "server/request.hpp"

#include <simdjson.h>

#include <optional>

namespace discord::oauth2::emulator {

/// The body's object, parsed with `parser` (which must outlive it); nullopt when the request is
/// not JSON or not an object: the route answers invalid_json_body() then.
inline std::optional<simdjson::dom::element> json_object_body(const server::request& req, simdjson::dom::parser& parser)
{
    if (!req.fields.find("content-type").value_or("").starts_with("application/json"))
        return std::nullopt;
    simdjson::dom::element body;
    if (parser.parse(simdjson::padded_string(req.body)).get(body) || !body.is_object())
        return std::nullopt;
    return body;
}

} // namespace discord::oauth2::emulator
