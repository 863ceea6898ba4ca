#include "core/work_counter.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace discord::oauth2::core {

// A waiting coroutine's doorbell. A concurrent channel holding one message: leave() may ring it
// from any thread, before or after the waiter starts listening, and the ring is kept.
struct work_counter::waiter {
    explicit waiter(const asio::any_io_executor& ex) : bell(ex, 1) {}
    asio::experimental::concurrent_channel<void(std::error_code, bool)> bell; // (Asio 1.22 needs a value beside the code)
    bool idle = false; // the count reached zero while it waited (under the counter's mutex)
};

void work_counter::enter()
{
    std::lock_guard lock(mutex_);
    ++count_;
}

void work_counter::leave()
{
    std::vector<std::shared_ptr<waiter>> woken;
    {
        std::lock_guard lock(mutex_);
        if (count_ > 0 && --count_ == 0) {
            woken.swap(waiters_);
            for (auto& w : woken)
                w->idle = true;
        }
    }
    for (auto& w : woken)
        w->bell.try_send(std::error_code{}, true);
}

std::size_t work_counter::count() const
{
    std::lock_guard lock(mutex_);
    return count_;
}

asio::awaitable<bool> work_counter::wait_idle(std::chrono::steady_clock::duration limit)
{
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;
    auto w = std::make_shared<waiter>(executor);
    {
        std::lock_guard lock(mutex_);
        if (count_ == 0)
            co_return true;
        waiters_.push_back(w);
    }
    auto rung = w->bell.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
    if (limit >= std::chrono::hours(24 * 365)) {
        (void)co_await std::move(rung);
    } else {
        asio::steady_timer deadline(executor, limit);
        (void)co_await (std::move(rung) || deadline.async_wait(asio::experimental::as_tuple(asio::use_awaitable)));
    }
    std::lock_guard lock(mutex_);
    std::erase(waiters_, w); // when the limit came first
    co_return w->idle || count_ == 0;
}

} // namespace discord::oauth2::core
