#include "web/event_hub.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>
#include <variant>

namespace discord::oauth2 {

std::string_view to_string(event_kind kind) noexcept
{
    switch (kind) {
    case event_kind::authorization_code_received: return "authorization_code_received";
    case event_kind::authorization_code_exchanged: return "authorization_code_exchanged";
    case event_kind::access_token_refreshed: return "access_token_refreshed";
    case event_kind::access_token_revoked: return "access_token_revoked";
    case event_kind::authorization_denied: return "authorization_denied";
    case event_kind::error: return "error";
    case event_kind::grant_lost: return "grant_lost";
    case event_kind::events_missed: return "events_missed";
    case event_kind::application_authorized: return "application_authorized";
    case event_kind::application_deauthorized: return "application_deauthorized";
    case event_kind::entitlement_created: return "entitlement_created";
    case event_kind::entitlement_updated: return "entitlement_updated";
    case event_kind::entitlement_deleted: return "entitlement_deleted";
    case event_kind::webhook_event: return "webhook_event";
    case event_kind::role_connection_updated: return "role_connection_updated";
    }
    return "unknown";
}

namespace detail {

subscription::subscription(asio::any_io_executor executor, std::size_t cap, event_filter f)
    : filter(f), capacity(std::max<std::size_t>(1, cap)), bell(std::move(executor), 1)
{
}

void subscription::push(const event& e)
{
    if (!filter.matches(e))
        return;
    {
        std::lock_guard lock(mutex);
        if (ended)
            return;
        if (queue.size() >= capacity) {
            ++missed;
            return;
        }
        queue.push_back(e);
    }
    bell.try_send(std::error_code{}, true);
}

std::optional<event> subscription::take()
{
    if (!queue.empty()) {
        auto e = std::move(queue.front());
        queue.pop_front();
        return e;
    }
    // Dropped events came after everything that was queued: report them after it.
    if (missed) {
        event e;
        e.kind = event_kind::events_missed;
        e.missed = missed;
        missed = 0;
        return e;
    }
    return std::nullopt;
}

void subscription::end()
{
    {
        std::lock_guard lock(mutex);
        ended = true;
    }
    bell.try_send(std::error_code{}, true);
}

} // namespace detail

namespace web {

event_stream event_hub::subscribe(asio::any_io_executor executor, std::size_t capacity, event_filter filter)
{
    auto s = std::make_shared<detail::subscription>(std::move(executor), capacity, filter);
    std::lock_guard lock(mutex_);
    if (ended_) {
        s->end();
        return event_stream(std::move(s));
    }
    // Forget the streams that are gone while we are here.
    std::erase_if(subscribers_, [](const std::weak_ptr<detail::subscription>& w) { return w.expired(); });
    subscribers_.push_back(s);
    return event_stream(std::move(s));
}

void event_hub::publish(const event& e)
{
    std::vector<std::shared_ptr<detail::subscription>> live;
    {
        std::lock_guard lock(mutex_);
        live.reserve(subscribers_.size());
        for (const auto& w : subscribers_)
            if (auto s = w.lock())
                live.push_back(std::move(s));
    }
    for (const auto& s : live)
        s->push(e);
}

void event_hub::end_all()
{
    std::vector<std::weak_ptr<detail::subscription>> all;
    {
        std::lock_guard lock(mutex_);
        ended_ = true;
        all.swap(subscribers_);
    }
    for (const auto& w : all)
        if (auto s = w.lock())
            s->end();
}

} // namespace web

event_stream::event_stream(std::shared_ptr<detail::subscription> s) : subscription_(std::move(s)) {}
event_stream::event_stream(event_stream&&) noexcept = default;
event_stream& event_stream::operator=(event_stream&&) noexcept = default;
event_stream::~event_stream() = default; // the hub holds only a weak reference

namespace {

detail::subscription& open_subscription(const std::shared_ptr<detail::subscription>& s)
{
    if (!s)
        throw error(errc::invalid_argument, "this event stream was moved from; use the stream it was moved to");
    return *s;
}

// What a stream can answer without waiting: an event, or the end (an empty inner optional);
// nullopt when it must wait.
std::optional<std::optional<event>> answer_now(detail::subscription& s)
{
    std::lock_guard lock(s.mutex);
    if (auto e = s.take())
        return std::optional<event>(std::move(e));
    if (s.ended)
        return std::optional<event>();
    return std::nullopt;
}

} // namespace

asio::any_io_executor event_stream::get_executor() const
{
    return open_subscription(subscription_).bell.get_executor();
}

bool event_stream::is_open() const
{
    if (!subscription_)
        return false;
    std::lock_guard lock(subscription_->mutex);
    return !subscription_->ended || !subscription_->queue.empty() || subscription_->missed;
}

std::optional<event> event_stream::try_next()
{
    if (!subscription_)
        return std::nullopt;
    std::lock_guard lock(subscription_->mutex);
    return subscription_->take();
}

asio::awaitable<std::optional<event>> event_stream::next()
{
    auto& s = open_subscription(subscription_);
    for (;;) {
        if (auto answer = answer_now(s))
            co_return std::move(*answer);
        auto [ec, rung] = co_await s.bell.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
        (void)rung;
        if (ec)
            throw error(errc::cancelled, "waiting for the next event was cancelled");
    }
}

asio::awaitable<std::optional<event>> event_stream::next_for(std::chrono::milliseconds timeout)
{
    auto& s = open_subscription(subscription_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(s.bell.get_executor());
    for (;;) {
        if (auto answer = answer_now(s))
            co_return std::move(*answer);
        if (std::chrono::steady_clock::now() >= deadline)
            co_return std::nullopt;
        timer.expires_at(deadline);
        using namespace asio::experimental::awaitable_operators;
        auto woken = co_await (s.bell.async_receive(asio::experimental::as_tuple(asio::use_awaitable))
                               || timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable)));
        if (woken.index() == 0) {
            auto [ec, rung] = std::get<0>(woken);
            (void)rung;
            if (ec)
                throw error(errc::cancelled, "waiting for the next event was cancelled");
        } else if (auto [ec] = std::get<1>(woken); ec) {
            throw error(errc::cancelled, "waiting for the next event was cancelled");
        }
    }
}

asio::awaitable<std::optional<event>> event_stream::next_matching(event_filter filter, std::chrono::milliseconds timeout)
{
    return next_matching_function([filter](const event& e) { return filter.matches(e); }, timeout);
}

asio::awaitable<std::optional<event>> event_stream::next_matching_function(std::function<bool(const event&)> matches,
                                                                           std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto e = co_await next_for(std::max(left, std::chrono::milliseconds(0)));
        if (!e || matches(*e))
            co_return e;
    }
}

} // namespace discord::oauth2
