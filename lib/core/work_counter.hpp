// Work under way, counted, and a wait for the moment none is left: what `stop()` needs (the web
// server's callbacks in flight, the refresher's scan loop and its workers) without waking every
// few milliseconds to look. Safe from any thread: `leave` may run on another thread than the
// waiter, whose wake-up is posted to the waiter's own executor.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace discord::oauth2::core {

class work_counter {
public:
    /// One more piece of work under way.
    void enter();
    /// One piece of work ended; at zero, every `wait_idle` under way resumes.
    void leave();
    /// How many are under way now.
    [[nodiscard]] std::size_t count() const;

    /// Resumes when nothing is under way (at once if nothing is), or when `limit` has passed:
    /// true if nothing is under way, false if the limit came first. Cancelling the waiting
    /// coroutine's operation (asio's cancellation) is not supported: bound it with `limit`.
    [[nodiscard]] asio::awaitable<bool> wait_idle(
        std::chrono::steady_clock::duration limit = std::chrono::steady_clock::duration::max());

    /// enter() now, leave() when destroyed: `auto under_way = counter.scope();`.
    class scope_guard {
    public:
        explicit scope_guard(work_counter& counter) : counter_(&counter) { counter_->enter(); }
        /// Takes over an enter() already made (by whoever started the work).
        scope_guard(work_counter& counter, std::adopt_lock_t) : counter_(&counter) {}
        scope_guard(scope_guard&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
        scope_guard(const scope_guard&) = delete;
        scope_guard& operator=(const scope_guard&) = delete;
        scope_guard& operator=(scope_guard&&) = delete;
        ~scope_guard()
        {
            if (counter_)
                counter_->leave();
        }

    private:
        work_counter* counter_;
    };
    [[nodiscard]] scope_guard scope() { return scope_guard(*this); }

private:
    struct waiter;
    mutable std::mutex mutex_;
    std::size_t count_ = 0;
    std::vector<std::shared_ptr<waiter>> waiters_;
};

} // namespace discord::oauth2::core
