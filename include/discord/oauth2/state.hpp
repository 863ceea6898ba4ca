// Sealed OAuth2 states (docs/security.md): the `state` parameter carries, encrypted and
// authenticated with AES-256-GCM, who the authorization is for, when it was made and expires, a
// 128-bit random nonce, the PKCE verifier and the scopes the link asked for (so that a link whose
// `scope` parameter was edited cannot pass: the callback requires the granted scopes to cover them). Any instance holding the key can check a callback
// without shared memory; a replay guard (replay_guard.hpp) makes each state single-use.
#pragma once

#include <discord/oauth2/key.hpp>
#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2 {

/// What a sealed state carries (seal_state, open_state).
struct state_claims {
    snowflake user_id; ///< the user the authorization is for (0: nobody in particular)
    std::chrono::system_clock::time_point issued_at;  ///< when the URL was made
    std::chrono::system_clock::time_point expires_at; ///< after this, open_state throws state_expired
    std::string nonce;                  ///< 16 random bytes, made by seal_state when empty
    std::optional<secret> code_verifier; ///< PKCE verifier, when the flow uses it
    std::string flow;                   ///< what the state is for ("login", ...), at most 32 bytes
    /// The scopes the authorization URL requested, in its order; at most 1,024 bytes joined with
    /// spaces. A callback whose grant does not cover them is refused (docs/security.md).
    std::vector<std::string> scopes;
};

/// The purpose of a state_key.
struct state_key_purpose {
    static constexpr std::string_view name = "state key"; ///< in error messages
};

/// The 32-byte key states are sealed with (AES-256-GCM). Keep it secret; every instance of a bot
/// that serves callbacks needs the same one. Rotate it and outstanding states become invalid.
using state_key = basic_key<state_key_purpose>;

extern template class basic_key<state_key_purpose>;

/// The sealed state: base64url, about 190 characters for a short `flow` and a few scopes.
/// Throws `error` (invalid_argument) for a flow, verifier or scope list over its limit, or a
/// scope that is empty or holds a space.
[[nodiscard]] std::string seal_state(const state_key& key, state_claims claims);

/// Opens a state: authenticity, then expiry at `now`. Single use is the caller's, with a
/// replay_guard (open_state_once in replay_guard.hpp does both). Throws `error` with
/// invalid_state (malformed or forged) or state_expired.
[[nodiscard]] state_claims open_state(const state_key& key, std::string_view text,
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

} // namespace discord::oauth2
