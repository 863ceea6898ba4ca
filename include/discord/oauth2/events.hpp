// What the callback web server tells its subscribers, as an async generator:
//
//   auto events = web.events();
//   while (auto ev = co_await events.next()) {
//       if (ev->kind == oauth2::event_kind::authorization_code_exchanged) ...
//   }
//
// Each subscriber has its own bounded queue. A subscriber that falls behind is never waited
// for: events that do not fit are dropped and the next call to next() reports how many with an
// `events_missed` event. Every stream ends (next() returns nullopt) when the server stops.
#pragma once

#include <discord/oauth2/application_event.hpp>
#include <discord/oauth2/async.hpp>
#include <discord/oauth2/detail/gcc12.hpp>

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/token.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace discord::oauth2 {

/// What an event is about.
enum class event_kind {
    authorization_code_received,  ///< a callback with a valid state and a code arrived
    authorization_code_exchanged, ///< the code became a grant: `token`, `claims`
    access_token_refreshed,       ///< `token` is the user's new grant
    access_token_revoked,         ///< the user's grant was revoked and removed
    authorization_denied,         ///< the user cancelled, or Discord refused: `code`, `message`
    error,                        ///< something failed: `where`, `code`, `message`
    grant_lost,                   ///< only a new authorization can help: `code`, `message` (refresher.hpp)
    events_missed,                ///< this subscriber's queue was full: `missed` events were dropped
    // Webhook events from Discord (web_server_config::events_path): `application` says what came.
    application_authorized,   ///< a user authorized the application: `user_id`, scopes, integration type, guild
    application_deauthorized, ///< a user removed the application: its grant was forgotten, its waiters ended
    entitlement_created,      ///< ENTITLEMENT_CREATE: `application->entitlement`
    entitlement_updated,      ///< ENTITLEMENT_UPDATE: `application->entitlement`
    entitlement_deleted,      ///< ENTITLEMENT_DELETE: `application->entitlement`
    webhook_event,            ///< another event type: `application->type` and `application->data_json`
    /// The linked roles path (web_server_config::linked_roles_path) pushed `user_id`'s role connection.
    role_connection_updated,
};

/// The kind's name as written above ("authorization_code_exchanged", ...).
[[nodiscard]] std::string_view to_string(event_kind kind) noexcept;

/// Something that happened in a web server (or, with a cluster, in any instance of the bot).
/// Which members are set depends on `kind`, as each member says.
struct event {
    event_kind kind = event_kind::error; ///< what happened
    snowflake user_id;                  ///< whom it is about (0 when nobody is known)
    std::optional<access_token> token;  ///< exchanged, refreshed
    std::optional<state_claims> claims; ///< received, exchanged
    std::string where;                  ///< error: "callback", "exchange", "refresh", "revoke", ...
    std::error_code code;               ///< error, denied
    std::string message;                ///< error, denied: for people; never a secret
    std::uint64_t missed = 0;           ///< events_missed
    /// The webhook event Discord sent: application_authorized and the kinds after it.
    std::optional<application_event> application;
};

/// Which events a stream receives (web_server::events(filter)): those of one kind, of one user,
/// or both; an empty filter lets every event through. Filtered at the source, so events a
/// stream does not want never take room in its queue.
struct event_filter {
    std::optional<event_kind> kind{}; ///< only events of this kind
    std::optional<snowflake> user{};  ///< only events about this user
    /// Whether `e` passes.
    [[nodiscard]] bool matches(const event& e) const noexcept
    {
        return (!kind || e.kind == *kind) && (!user || e.user_id == *user);
    }
};

namespace detail {
struct subscription;
}
namespace web {
class event_hub;
}

/// One subscriber's view of the events (web_server::events()).
///
/// Each subscriber has its own bounded queue. A subscriber that falls behind is never waited
/// for: events that do not fit are dropped and the next call to next() reports how many with an
/// `events_missed` event. Every stream ends (next() returns nullopt) when the server stops.
/// One coroutine at a time may await next(); events are published from any thread.
class event_stream {
public:
    /// Moves the subscription. The moved-from stream is closed: is_open() is false, try_next()
    /// returns nullopt, and next() throws `error` (invalid_argument) saying it was moved from.
    event_stream(event_stream&&) noexcept;
    /// Moves the subscription; the moved-from stream is closed, as after the move constructor.
    event_stream& operator=(event_stream&&) noexcept;
    /// Unsubscribes.
    ~event_stream();

    /// The next event, or nullopt once the server has stopped and the queue is drained.
    /// Cancelling the awaiting coroutine (its cancellation slot) throws `error` (cancelled);
    /// no event is lost by it: the next call gets the one that would have come.
    [[nodiscard]] asio::awaitable<std::optional<event>> next();

    /// False once next() would return nullopt at once (the server stopped and everything queued
    /// was taken), and for a moved-from stream.
    [[nodiscard]] bool is_open() const;
    /// The next event if one is queued (or an events_missed report), without waiting; nullopt
    /// when none is.
    [[nodiscard]] std::optional<event> try_next();
    /// next(), but nullopt after `timeout` without an event too (is_open() tells the two apart).
    [[nodiscard]] asio::awaitable<std::optional<event>> next_for(std::chrono::milliseconds timeout);
    /// The first event for which `matches` is true within `timeout` (what D++'s `when` does),
    /// or nullopt at the timeout or the end. Events that do not match are taken from this
    /// stream and dropped (other streams still get them); so are events_missed reports, unless
    /// `matches` accepts them. `matches` is any callable taking `const event&` and returning
    /// something convertible to bool; it is kept (moved or copied) until the wait ends:
    ///
    ///   co_await events.next_matching([&label](const event& e) { return e.claims && e.claims->flow == label; }, 10s);
    ///
    /// Under g++ 12 a lambda that captures something with a destructor by value (a
    /// `std::string`), written inside the `co_await`, does not compile here: that compiler
    /// destroys such a temporary twice (a double free; GCC bug 100611, docs/compilers.md).
    /// Capture by reference, or name the lambda first and pass the name (as an lvalue: an
    /// rvalue callable with a destructor, `std::move(named)` too, is refused there, since it
    /// cannot be told from one made in the call).
    template <class Predicate>
        requires std::predicate<std::decay_t<Predicate>&, const event&>
    [[nodiscard]] asio::awaitable<std::optional<event>> next_matching(Predicate&& matches,
                                                                     std::chrono::milliseconds timeout)
    {
        detail::refuse_capturing_temporary_under_gcc12<Predicate>();
        return next_matching_function(std::function<bool(const event&)>(std::forward<Predicate>(matches)), timeout);
    }
    /// The first event `filter` lets through within `timeout`, or nullopt at the timeout or the
    /// end, as the callable form does: `co_await events.next_matching({.user = id}, 10s)`.
    [[nodiscard]] asio::awaitable<std::optional<event>> next_matching(event_filter filter,
                                                                     std::chrono::milliseconds timeout);

    /// The executor the stream is woken on (the server's). Throws `error` (invalid_argument) for
    /// a moved-from stream.
    [[nodiscard]] asio::any_io_executor get_executor() const;
    /// next as an Asio asynchronous operation for any completion token (async.hpp):
    /// void(std::error_code, std::optional<event>); cancelled through the token's slot
    /// (errc::cancelled). The stream must outlive the operation. On a moved-from stream it
    /// throws `error` (invalid_argument) at once, as get_executor() does.
    template <class CompletionToken>
    auto async_next(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), next(), std::forward<CompletionToken>(completion));
    }

private:
    friend class web::event_hub; // its subscribe() makes one
    // next_matching's one implementation, a plain function returning the coroutine.
    asio::awaitable<std::optional<event>> next_matching_function(std::function<bool(const event&)> matches,
                                                                 std::chrono::milliseconds timeout);
    explicit event_stream(std::shared_ptr<detail::subscription> s);
    std::shared_ptr<detail::subscription> subscription_;
};

} // namespace discord::oauth2
