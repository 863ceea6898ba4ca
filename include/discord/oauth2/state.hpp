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
/// that serves callbacks needs it. Rotate it with a state_key_ring, so that the links already
/// sent still open (docs/security.md, "Rotating keys").
using state_key = basic_key<state_key_purpose>;
/// The state keys of a rotation: the first seals new states (and signs cluster messages), every
/// one opens (and verifies).
using state_key_ring = basic_key_ring<state_key_purpose>;

extern template class basic_key<state_key_purpose>;
extern template class basic_key_ring<state_key_purpose>;

/// The sealed state, under the ring's current key and naming that key's id: base64url, about
/// 200 characters for a short `flow` and a few scopes. Throws `error` (invalid_argument) for a
/// flow, verifier or scope list over its limit, or a scope that is empty or holds a space.
[[nodiscard]] std::string seal_state(const state_key_ring& keys, state_claims claims);

/// Opens a state under the key it names (a state sealed before keys had ids opens under
/// whichever key of the ring opens it): authenticity, then expiry at `now`. Single use is the
/// caller's, with a replay_guard (open_state_once in replay_guard.hpp does both). Throws `error`
/// with invalid_state (malformed, or failing authentication under the key it names) or
/// state_expired (expired; or naming a key the ring does not hold, checked before any decryption:
/// a link older than the rotation that dropped its key, or a state of another deployment or a
/// forged one; the message names the key id).
[[nodiscard]] state_claims open_state(const state_key_ring& keys, std::string_view text,
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

} // namespace discord::oauth2
