// What one web server instance tells the others through a `cluster`: the outcome of a callback
// (which wakes the waiters and answers the replays of its state) and the events of its stream.
// Form-encoded text, never a secret: an authorized outcome names its user, and each receiver
// reads the grant from the shared token store. Decoding treats the text as hostile.
//
// Any database role that can connect may LISTEN and NOTIFY, so every message carries an
// HMAC-SHA256 tag under a key derived from the state key (docs/security.md): a message without a
// valid tag is dropped, and a message heard twice (a replay) is dropped too.
#pragma once

#include "web/pages.hpp"

#include <discord/oauth2/events.hpp>
#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/web_server.hpp>

#include <chrono>
#include <map>
#include <mutex>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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
/// An event without its token (exchanged and refreshed events are completed from the store),
/// without the state's PKCE verifier and without its nonce (no nonce travels before its outcome
/// is recorded: the other instances' events carry claims with an empty nonce).
[[nodiscard]] std::string encode_message(const event& e);

/// nullopt for anything malformed or unknown.
[[nodiscard]] std::optional<std::variant<settled_message, event>> decode_message(std::string_view text);

/// The nonce of a state as the cluster knows it (base64url of its 16 bytes).
[[nodiscard]] std::string cluster_nonce(std::string_view raw_nonce);

/// A message whose tag was valid.
struct authenticated_message {
    std::string text;
    std::chrono::system_clock::time_point sent_at;
    std::string tag; ///< raw, for recognising a replay
};

/// The keys that sign what the instances tell each other: for each state key of the ring,
/// HKDF-SHA256 of it with its own label (never the state key itself, so a tag can never help
/// open or forge a state). The ring's current key signs; every key verifies, so that instances
/// part-way through a rotation (one has promoted the new key, another not yet) hear each other.
class message_key {
public:
    explicit message_key(const state_key_ring& keys);

    /// "m2.<key id>.<tag>.<ms since epoch>.<text>", the tag (base64url) over everything but
    /// itself, the key id (8 hexadecimal digits) the state key's.
    [[nodiscard]] std::string seal(std::string_view text, std::chrono::system_clock::time_point now) const;
    /// The text when `sealed` was made with a key of the ring (an "m1." message, from before
    /// key ids, under any of them); nullopt for anything else.
    [[nodiscard]] std::optional<authenticated_message> open(std::string_view sealed) const;

private:
    struct derived {
        std::uint32_t id;
        std::string id_text;
        secret key;
    };
    std::vector<derived> keys_; // the current one first
};

/// Remembers the tags of the messages heard in the last `window`, so that a message heard again
/// (a replay by whoever can NOTIFY) is refused, and refuses messages older or newer than that.
/// Thread-safe; bounded: a tag is forgotten only once its window has passed, and with
/// `capacity` tags still inside it, a new message is refused (the caller counts it dropped).
class message_replays {
public:
    explicit message_replays(std::chrono::seconds window = std::chrono::minutes(5), std::size_t capacity = 100'000)
        : window_(window), capacity_(capacity)
    {
    }
    /// True for a message inside the window whose tag was not heard before.
    [[nodiscard]] bool first(const authenticated_message& m, std::chrono::system_clock::time_point now);

private:
    std::chrono::seconds window_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::map<std::string, std::chrono::system_clock::time_point> seen_;
    std::multimap<std::chrono::system_clock::time_point, std::string> by_time_;
};

} // namespace discord::oauth2::web
