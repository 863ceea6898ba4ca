// The emulator's webhook events, sent as Discord sends them: a POST of the event's JSON to the
// application's event webhook URL, signed with the application's Ed25519 key over
// X-Signature-Timestamp followed by the body, retried with backoff for a bounded time when the
// endpoint does not answer 2xx; and PINGs, signed or deliberately not, to see whether the
// endpoint checks signatures (it must answer 401 to a bad one). docs/emulator.md.
#pragma once

#include "model.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::emulator {

struct delivery_options {
    /// How long an endpoint has to answer one attempt (Discord: 3 seconds).
    std::chrono::milliseconds timeout{3000};
    /// The first retry's delay; each next one doubles, up to a minute.
    std::chrono::milliseconds first_retry{1000};
    /// An event not delivered this long after it happened is dropped (recorded as failed).
    std::chrono::milliseconds retry_for{std::chrono::minutes(10)};
    /// Before each event, with this probability, a PING signed with another key, which the
    /// endpoint must refuse with 401 (Discord checks endpoints this way, at random).
    double bad_ping_probability = 0;
    /// A PEM bundle that makes an https endpoint's certificate trusted (tests); empty: the
    /// system's store.
    std::string ca_file;
};

/// One delivery, for tests and /_emulator/deliveries.
struct delivery_record {
    std::uint64_t id = 0;
    snowflake application_id = 0;
    std::string kind;   ///< the event type, "PING", or "PING (bad signature)"
    std::string url;
    int attempts = 0;
    int last_status = 0; ///< the last answer's status; 0 when none came
    /// An event's: "pending", "delivered" or "failed" (given up). A PING's: "ok" (answered 2xx,
    /// or 401 for a bad signature) or "wrong answer".
    std::string outcome = "pending";
};

class event_deliveries {
public:
    event_deliveries(asio::any_io_executor executor, delivery_options options);
    /// Stops every delivery still retrying.
    ~event_deliveries();
    event_deliveries(const event_deliveries&) = delete;
    event_deliveries& operator=(const event_deliveries&) = delete;

    /// Sends the event `type` with `data_json` (a JSON object) to `app`'s event webhook URL, if
    /// its events are enabled (status 2) and `type` is one of its event types. Returns at once;
    /// the delivery runs on the executor.
    void publish(const application& app, std::string_view type, std::string data_json);

    /// One PING to `url` signed with `app`'s key, or with a key of no application when
    /// `bad_signature`; the status it was answered with, 0 when none came. Recorded like events.
    [[nodiscard]] asio::awaitable<int> ping(const application& app, std::string url, bool bad_signature);

    /// Every delivery so far, oldest first (read on the executor).
    [[nodiscard]] std::vector<delivery_record> records() const;
    /// Ends every delivery that is retrying or in flight; later publishes are dropped.
    void stop();

    struct state;

private:
    std::shared_ptr<state> state_;
};

/// Discord's webhook event body: {"version": 1, "application_id", "type": 1, "event": {"type",
/// "timestamp", "data"}}, with the timestamp as Discord writes it (UTC, microseconds, no offset).
[[nodiscard]] std::string webhook_event_body(snowflake application_id, std::string_view type, clock::time_point at,
                                             std::string_view data_json);

} // namespace discord::oauth2::emulator
