// The device authorization grant (RFC 8628), for consoles and programs without a browser: the
// program shows a short code and a URL, the person enters the code there on any device and
// authorizes, and the program, polling the token endpoint meanwhile, receives the grant.
#pragma once

#include <discord/oauth2/secret.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// What client::start_device_authorization returns: show `user_code` and `verification_uri`
/// (or `verification_uri_complete`, which carries the code) to the person, then pass this to
/// client::wait_for_device_token.
struct device_authorization {
    /// Whoever holds it receives the grant once the person authorizes: a secret, never shown.
    secret device_code;
    std::string user_code;        ///< the code the person types, e.g. "WDJB-MJHT"
    std::string verification_uri; ///< where they type it (Discord: https://discord.com/activate)
    std::optional<std::string> verification_uri_complete; ///< the same with the code filled in, when sent
    std::chrono::seconds expires_in{0}; ///< how long the codes live, as the server said
    std::chrono::system_clock::time_point expires_at; ///< when they stop working, counted from the answer
    std::chrono::seconds interval{5}; ///< the least time between two polls (5 s when the server names none)
    std::vector<std::string> scopes;  ///< the scopes asked for
};

} // namespace discord::oauth2
