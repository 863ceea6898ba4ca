// What one web server instance tells the others through a `cluster`: the outcome of a callback
// (which wakes the waiters and answers the replays of its state) and the events of its stream.
// Form-encoded text, never a secret: an authorized outcome names its user, and each receiver
// reads the grant from the shared token store. Decoding treats the text as hostile.
#pragma once

#include "web/pages.hpp"

#include <discord/oauth2/events.hpp>
#include <discord/oauth2/web_server.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace discord::oauth2::web {

struct settled_message {
    std::string nonce; ///< the state's nonce, base64url
    snowflake user;    ///< for authorized: whose grant to load
    authorization_outcome outcome = authorization_outcome::failed;
    std::error_code code;
    std::string description;
    answer page;
};

[[nodiscard]] std::string encode_message(const settled_message& m);
/// An event without its token (exchanged and refreshed events are completed from the store) and
/// without the state's PKCE verifier.
[[nodiscard]] std::string encode_message(const event& e);

/// nullopt for anything malformed or unknown.
[[nodiscard]] std::optional<std::variant<settled_message, event>> decode_message(std::string_view text);

/// The nonce of a state as the cluster knows it (base64url of its 16 bytes).
[[nodiscard]] std::string cluster_nonce(std::string_view raw_nonce);

} // namespace discord::oauth2::web
