// Sealed OAuth2 states (docs/security.md): the `state` parameter carries, encrypted and
// authenticated with AES-256-GCM, who the authorization is for, when it was made and expires, a
// 128-bit random nonce, the PKCE verifier and the scopes the link asked for (so that a link whose
// `scope` parameter was edited cannot pass: the callback requires the granted scopes to cover them). Any instance holding the key can check a callback
// without shared memory; a replay guard makes each state single-use.
#pragma once

#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2 {

struct state_claims {
    snowflake user_id; ///< the user the authorization is for (0: nobody in particular)
    std::chrono::system_clock::time_point issued_at;
    std::chrono::system_clock::time_point expires_at;
    std::string nonce;                  ///< 16 random bytes, made by seal_state when empty
    std::optional<secret> code_verifier; ///< PKCE verifier, when the flow uses it
    std::string flow;                   ///< what the state is for ("login", ...), at most 32 bytes
    /// The scopes the authorization URL requested, in its order; at most 1,024 bytes joined with
    /// spaces. A callback whose grant does not cover them is refused (docs/security.md).
    std::vector<std::string> scopes;
};

/// 32 bytes of key material. Keep it secret; rotate it and outstanding states become invalid.
class state_key {
public:
    /// A new random key.
    [[nodiscard]] static state_key generate();
    /// From exactly 32 bytes; throws `error` (invalid_argument) otherwise.
    [[nodiscard]] static state_key from_bytes(std::string_view bytes);
    [[nodiscard]] const secret& bytes() const noexcept { return bytes_; }

private:
    explicit state_key(secret bytes) : bytes_(std::move(bytes)) {}
    secret bytes_;
};

/// Remembers nonces until their state expires, so that each state opens once.
class replay_guard {
public:
    virtual ~replay_guard() = default;
    /// True the first time `nonce` is seen; false after. Atomic: two callers never both win.
    virtual bool consume(std::string_view nonce, std::chrono::system_clock::time_point expires_at) = 0;
};

/// The sealed state: base64url, about 190 characters for a short `flow` and a few scopes.
/// Throws `error` (invalid_argument) for a flow, verifier or scope list over its limit, or a
/// scope that is empty or holds a space.
[[nodiscard]] std::string seal_state(const state_key& key, state_claims claims);

/// Opens a state: authenticity, then expiry, then single use (with `guard`).
/// Throws `error` with invalid_state (malformed or forged), state_expired or state_replayed.
[[nodiscard]] state_claims open_state(const state_key& key, std::string_view text, replay_guard* guard = nullptr,
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

} // namespace discord::oauth2
