#include "web/event_hub.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>

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
    }
    return "unknown";
}

namespace detail {

subscription::subscription(asio::any_io_executor executor, std::size_t cap)
    : capacity(std::max<std::size_t>(1, cap)), bell(std::move(executor), 1)
{
}

void subscription::push(const event& e)
{
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

event_stream event_hub::subscribe(asio::any_io_executor executor, std::size_t capacity)
{
    auto s = std::make_shared<detail::subscription>(std::move(executor), capacity);
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

asio::any_io_executor event_stream::get_executor() const
{
    return subscription_->bell.get_executor();
}

asio::awaitable<std::optional<event>> event_stream::next()
{
    auto& s = *subscription_;
    for (;;) {
        {
            std::lock_guard lock(s.mutex);
            if (!s.queue.empty()) {
                auto e = std::move(s.queue.front());
                s.queue.pop_front();
                co_return e;
            }
            // Dropped events came after everything that was queued: report them after it.
            if (s.missed) {
                event e;
                e.kind = event_kind::events_missed;
                e.missed = s.missed;
                s.missed = 0;
                co_return e;
            }
            if (s.ended)
                co_return std::nullopt;
        }
        auto [ec, rung] = co_await s.bell.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
        (void)rung;
        if (ec)
            throw error(errc::cancelled, "waiting for the next event was cancelled");
    }
}

} // namespace discord::oauth2
