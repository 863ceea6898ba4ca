// Discord's webhook event payloads (the body of a request to the events path), read with
// simdjson's DOM: the `data` object is kept as minified JSON beside the fields the library
// models. Hostile input: tests/fuzz/webhook_event_fuzz.cpp.
#pragma once

#include <discord/oauth2/application_event.hpp>
#include <discord/oauth2/snowflake.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::json {

/// A webhook event request's body.
struct webhook_payload {
    int type = 0;                           ///< 0: PING, 1: an event
    snowflake application_id;               ///< whose
    std::optional<application_event> event; ///< type 1
    snowflake user_id;                      ///< `event.data.user.id`, when there is one
};

/// Reads a request's body. Throws `error` (invalid_argument) naming what is wrong: not JSON, no
/// `type` or `application_id`, an event without its `type` or `timestamp`, or a modelled field
/// of the wrong type. Unknown fields and event types are kept, not refused.
[[nodiscard]] webhook_payload decode_webhook(std::string_view body);

/// An event rebuilt from its parts (what the instances of a bot share): `data_json` is read as
/// decode_webhook reads `event.data`; `user_id` receives its user's id. Throws as decode_webhook.
[[nodiscard]] application_event application_event_from(std::string type, std::chrono::system_clock::time_point timestamp,
                                                       std::string data_json, snowflake& user_id);

} // namespace discord::oauth2::json
