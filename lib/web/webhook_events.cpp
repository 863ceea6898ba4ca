// The events endpoint of the web server: Discord's webhook events, checked (webhook_requests),
// answered with 204 at once, then acted on: a deauthorization forgets the user's grant through
// the token store (and so on every instance sharing it) and ends the user's waiters; every event
// is published to the event streams.
#include "web/web_server_impl.hpp"

#include "core/attempt.hpp"
#include "web/webhook_requests.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <algorithm>
#include <cctype>

namespace discord::oauth2 {
namespace {

event_kind kind_of(const std::string& type)
{
    if (type == "APPLICATION_AUTHORIZED")
        return event_kind::application_authorized;
    if (type == "APPLICATION_DEAUTHORIZED")
        return event_kind::application_deauthorized;
    if (type == "ENTITLEMENT_CREATE")
        return event_kind::entitlement_created;
    if (type == "ENTITLEMENT_UPDATE")
        return event_kind::entitlement_updated;
    if (type == "ENTITLEMENT_DELETE")
        return event_kind::entitlement_deleted;
    return event_kind::webhook_event;
}

} // namespace

asio::awaitable<server::response> web_server::impl::webhook(server::request& req)
{
    auto header = [&](std::string_view name) {
        auto v = req.fields.find(name);
        return v ? std::string_view(*v) : std::string_view();
    };
    auto verdict = web::check_webhook(*verify_key, config.events_window, config.events_max_body,
                                      header("x-signature-ed25519"), header("x-signature-timestamp"), req.body,
                                      std::chrono::system_clock::now());
    // Counted by type only once the body is signed and read: before that, the type is the
    // sender's word. Unknown types are "other" (metrics.hpp keeps the labels closed).
    std::string type;
    if (metrics)
        type = !verdict.payload         ? "unknown"
            : verdict.payload->type == 0 ? "PING"
            : verdict.payload->event     ? verdict.payload->event->type
                                         : "other";
    auto count = [&](webhook_outcome outcome) {
        if (metrics)
            metrics->webhook_event_received(type, outcome);
    };
    // Anyone can knock: a refused request gets its status and nothing else (not even an event,
    // which would let anyone fill the streams).
    if (verdict.status != 204) {
        count(verdict.outcome);
        co_return server::response::plain(verdict.status);
    }
    // Acknowledged now (Discord wants an answer within seconds); acted on after.
    auto payload = std::move(*verdict.payload);
    if (payload.type == 1 && payload.event) {
        // One act per signed request: a replay (the same signature) on any instance is
        // acknowledged and ignored. Lower-cased first: hex digits of either case verify, and a
        // replay in capitals must not pass for a new request.
        auto nonce = "webhook:" + std::string(header("x-signature-ed25519"));
        std::transform(nonce.begin(), nonce.end(), nonce.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        // Kept until the window has passed for certain: a request taken at the window's last
        // moment is spent after it, and its replay must still find it then.
        auto expires = verdict.signed_at + 2 * config.events_window;
        // In one process the nonce is spent in the same step as the window check: nothing runs
        // between them in which the first one's entry could be forgotten. The cluster's guard
        // is a database's: spent after the answer.
        bool spent = false;
        if (!config.cluster) {
            try {
                if (!replays.consume_now(nonce, expires)) {
                    count(webhook_outcome::replay);
                    co_return server::response::plain(204); // a replay: acknowledged, ignored
                }
                spent = true;
                count(webhook_outcome::accepted);
            } catch (const error& e) {
                // The guard is full: Discord sends it again later, when there may be room.
                publish_error("events", e.code(), e.what(), payload.user_id, false);
                count(webhook_outcome::unavailable);
                co_return server::response::plain(503);
            }
        }
        asio::co_spawn(executor, [](std::shared_ptr<impl> self, std::string nonce, std::chrono::system_clock::time_point expires,
                                    json::webhook_payload payload, bool spent) -> asio::awaitable<void> {
            auto under_way = self->callbacks_in_flight.scope();
            if (!spent) {
                auto first = co_await core::attempt(self->nonces().consume(nonce, expires));
                if (first.failure) {
                    self->publish_error("events", first.failure->code(), first.failure->what(), payload.user_id, false);
                    co_return;
                }
                if (!*first.value)
                    co_return;
            }
            co_await act_on_webhook(std::move(self), std::move(payload));
        }(shared_from_this(), std::move(nonce), expires, std::move(payload), spent), asio::detached);
        if (!spent)
            count(webhook_outcome::accepted); // a replay across the cluster is found after the answer
        co_return server::response::plain(204);
    }
    count(webhook_outcome::accepted); // a PING, or a body without an event: nothing to act on
    co_return server::response::plain(204);
}

asio::awaitable<void> web_server::impl::act_on_webhook(std::shared_ptr<impl> self, json::webhook_payload payload)
{
    event e;
    e.kind = kind_of(payload.event->type);
    e.user_id = payload.user_id;
    e.application = std::move(payload.event);
    if (e.kind == event_kind::application_deauthorized && e.user_id.value() != 0) {
        auto forgotten = co_await core::attempt(self->forget_deauthorized(e.user_id, e.application->timestamp));
        if (forgotten.failure)
            self->publish_error("events", forgotten.failure->code(), forgotten.failure->what(), e.user_id);
    }
    self->publish(std::move(e));
}

// The user removed the application: its grant is dead. Forgotten unless it was received after
// the event (events may come late and out of order: a grant of a new authorization stays), and
// the waits the user's older links began end as denied.
asio::awaitable<void> web_server::impl::forget_deauthorized(snowflake user, std::chrono::system_clock::time_point when)
{
    if (auto grant = co_await config.store->load(user)) {
        auto received = grant->token.expires_at - grant->token.expires_in;
        if (received <= when)
            co_await config.store->erase(user);
    }
    authorization_result ended;
    ended.outcome = authorization_outcome::denied;
    ended.code = make_error_code(errc::access_denied);
    ended.description = "the user removed the application";
    authorizations->end_waiters_of(user, when, ended);
}

} // namespace discord::oauth2
