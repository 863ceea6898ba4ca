// Single use of sealed states: a replay guard remembers each state's nonce until the state
// expires, so that a callback (or anything else carrying a state) is acted on once. The web
// server asks its cluster when it has one (postgres_token_store: one answer for every
// instance), else a memory_replay_guard of its own.
#pragma once

#include <discord/oauth2/state.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace discord::oauth2 {

/// Remembers nonces until their state expires, so that each state is consumed once.
class replay_guard {
public:
    virtual ~replay_guard() = default;
    /// True for the first caller to consume `nonce`, false for every later one (on any instance
    /// sharing the guard); atomic, so two callers never both win. Remembered until `expires_at`.
    /// `nonce` must stay valid until the operation completes. Throws `error` when it cannot tell
    /// (a database out of reach); the nonce is then not consumed and the caller may try again.
    /// Implementations may be called from any thread.
    [[nodiscard]] virtual asio::awaitable<bool> consume(std::string_view nonce,
                                                        std::chrono::system_clock::time_point expires_at) = 0;
};

/// Opens a state (open_state: authenticity, then expiry) and consumes its nonce with `guard`.
/// Throws `error`: invalid_state, state_expired, state_replayed when the nonce was consumed
/// before, or the guard's error when it cannot tell. `guard` must outlive the operation.
[[nodiscard]] asio::awaitable<state_claims> open_state_once(state_key_ring keys, std::string text, replay_guard& guard);

} // namespace discord::oauth2
