#include "pg/pool.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

namespace discord::oauth2::pg {

asio::awaitable<std::unique_ptr<connection>> connect_with_backoff(asio::any_io_executor executor, const std::string& url,
                                                                const pool_options& options,
                                                                std::chrono::milliseconds timeout)
{
    auto until = std::chrono::steady_clock::now() + timeout;
    auto wait = options.backoff;
    for (;;) {
        std::optional<error> failure;
        try {
            co_return co_await connection::connect(executor, url);
        } catch (const error& e) {
            failure = e;
        }
        // A malformed URL stays malformed; anything else (refused, starting up, shutting down)
        // may pass once the server is back.
        if (failure->code() == errc::invalid_argument || std::chrono::steady_clock::now() + wait > until)
            throw error(errc::store_failed,
                        fmt::format("PostgreSQL stayed unreachable for {} ms: {}", timeout.count(), failure->what()));
        asio::steady_timer t(executor, wait);
        co_await t.async_wait(asio::use_awaitable);
        wait = std::min(wait * 2, options.max_backoff);
    }
}

struct pool::impl {
    impl(asio::any_io_executor ex, std::string u, pool_options o) : executor(std::move(ex)), url(std::move(u)), options(o)
    {
        if (options.size == 0)
            throw error(errc::invalid_argument, "a PostgreSQL pool needs at least one connection");
        slots.resize(options.size);
        for (std::size_t i = options.size; i-- > 0;)
            free.push_back(i);
    }

    asio::any_io_executor executor;
    std::string url;
    pool_options options;
    std::atomic<std::uint64_t> broken{0};

    std::mutex mutex;
    std::vector<std::unique_ptr<connection>> slots;
    std::vector<std::size_t> free;
    std::deque<std::function<void(std::size_t)>> queue; // callers waiting for a slot

    asio::awaitable<std::size_t> acquire()
    {
        {
            std::lock_guard lock(mutex);
            if (!free.empty()) {
                auto slot = free.back();
                free.pop_back();
                co_return slot;
            }
        }
        co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::size_t)>(
            [this](auto handler) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                auto hand_over = [shared](std::size_t slot) {
                    auto ex = asio::get_associated_executor(*shared);
                    asio::post(ex, [shared, slot]() mutable { std::move (*shared)(slot); });
                };
                std::lock_guard lock(mutex);
                if (!free.empty()) { // released meanwhile
                    auto slot = free.back();
                    free.pop_back();
                    hand_over(slot);
                    return;
                }
                queue.emplace_back(std::move(hand_over));
            },
            asio::use_awaitable);
    }

    void release(std::size_t slot)
    {
        std::function<void(std::size_t)> next;
        {
            std::lock_guard lock(mutex);
            if (queue.empty()) {
                free.push_back(slot);
                return;
            }
            next = std::move(queue.front());
            queue.pop_front();
        }
        next(slot); // handed straight to the next caller
    }

    // The slot's connection, made anew when it is missing or broken.
    asio::awaitable<connection*> ready(std::size_t slot)
    {
        auto& c = slots[slot];
        if (c && !c->healthy()) {
            c.reset();
            ++broken;
        }
        if (!c)
            c = co_await connect_with_backoff(executor, url, options, options.reconnect_timeout);
        co_return c.get();
    }
};

pool::pool(asio::any_io_executor executor, std::string url, pool_options options, std::unique_ptr<connection> first)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(url), options))
{
    impl_->slots[impl_->free.back()] = std::move(first);
}

pool::~pool() = default;

std::uint64_t pool::broken_connections() const noexcept
{
    return impl_->broken.load();
}

asio::awaitable<result> pool::run(std::string_view sql_view, const parameters& params_ref)
{
    auto self = impl_;
    std::string sql(sql_view);   // copied before the first suspension
    parameters params(params_ref);
    auto slot = co_await self->acquire();
    struct give_back {
        impl& i;
        std::size_t slot;
        ~give_back() { i.release(slot); }
    } holder{*self, slot}; // on every way out, exceptions included
    for (int attempt = 0;; ++attempt) {
        std::optional<error> failure;
        try {
            auto* c = co_await self->ready(slot);
            co_return co_await c->query(sql, params);
        } catch (const error& e) {
            failure = e;
        }
        auto& c = self->slots[slot];
        bool broken = c && !c->healthy();
        // An SQL error is the statement's own; a broken connection gets one more try on a new one.
        if (!broken || attempt > 0)
            throw *failure;
        c.reset();
        ++self->broken;
    }
}

} // namespace discord::oauth2::pg
