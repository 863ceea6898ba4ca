// What several instances of a bot share besides their grants, so that a browser's redirect may
// land on any instance: single-use states, the outcome of each callback, and a broadcast that
// wakes the waiters and feeds the event streams of every instance.
//
// web_server uses it when web_server_config::cluster is set (postgres_token_store is one, over
// PostgreSQL's LISTEN/NOTIFY); without one, a server keeps all of this in its own memory.
// Nothing that passes through it is a secret: tokens stay in the (encrypted) token store.
#pragma once

#include <discord/oauth2/replay_guard.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2 {

/// Shared by the instances of a bot. Its consume() (from replay_guard) gives one answer for
/// every instance, and is the web server's only replay guard when it has a cluster.
class cluster : public replay_guard {
public:

    /// Records the outcome of a consumed state (an opaque text of at most 4,000 bytes) for the
    /// instances that ask later, and sends `message` to every other instance.
    virtual asio::awaitable<void> record_outcome(std::string_view nonce, std::string_view outcome,
                                                 std::string_view message) = 0;

    /// The recorded outcomes of those of `nonces` that have one.
    [[nodiscard]] virtual asio::awaitable<std::vector<std::pair<std::string, std::string>>> outcomes(
        const std::vector<std::string>& nonces) = 0;

    /// Sends `message` (at most 4,000 bytes) to every other instance.
    virtual asio::awaitable<void> broadcast(std::string_view message) = 0;

    /// Calls `on_message` with every message of the other instances, on `executor`, until
    /// unsubscribe(). `on_gap` is called once delivery has started, and again after every gap
    /// (the connection broke and was made again): messages sent before may have been missed,
    /// so the subscriber checks again what it waits for. One subscriber at a time.
    virtual void subscribe(asio::any_io_executor executor, std::function<void(std::string)> on_message,
                           std::function<void()> on_gap) = 0;
    /// Stops delivery to the subscriber; its callbacks are not called once it returns.
    virtual void unsubscribe() = 0;
};

} // namespace discord::oauth2
