// What the framework adapters (dpp.hpp, boost.hpp) share: the library's io_context on a thread
// of its own or on one the application runs, operations started on it for another framework's
// code, cancelled from any thread, and every one of them ended before the adapter goes away.
#pragma once

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace discord::oauth2::detail {

/// One operation started through a bridge. The framework's side (any thread), the operation's
/// end (the bridge's strand) and cancellation (any thread) meet here, under `mutex`.
struct bridged_operation {
    std::mutex mutex;
    bool started = false;          ///< launched on the io_context
    bool finished = false;         ///< ended; `failure` (or the value) is final
    bool cancel_requested = false; ///< cancel() came, before or during the operation
    /// A flag the framework sets to cancel without telling anyone (D++'s task::cancel()); the
    /// bridge polls it while the operation runs, and clears this pointer before the operation's
    /// end is handed back (the flag's owner may go away then).
    const std::atomic<bool>* cancel_flag = nullptr;
    std::exception_ptr failure;        ///< the operation's exception, if it threw
    asio::cancellation_signal signal; ///< emitted on the bridge's strand only
};

/// An operation's outcome with its value.
template <class T>
struct bridged_result final : bridged_operation {
    std::optional<T> value; ///< set when it returned
};
template <>
struct bridged_result<void> final : bridged_operation {};

/// The io_context side of an adapter. Thread-safe; destroyed on a thread other than the io
/// thread (it waits for it).
class bridge {
public:
    /// Owns an io_context and one thread that runs it until the bridge is destroyed.
    bridge();
    /// Uses the application's io_context, which must run (on any number of threads) until the
    /// bridge is destroyed: the bridge's own work goes through a strand of it.
    explicit bridge(asio::any_io_executor executor);
    /// Cancels what is in flight and waits until every operation has ended and its end has
    /// been handed back (and up to one poll period for the poll of cancellation flags to
    /// stop); then stops and joins its own io thread, if it has one (handlers still queued on
    /// that io_context are destroyed, not run).
    ~bridge();
    bridge(const bridge&) = delete;
    bridge& operator=(const bridge&) = delete;

    /// The executor to make the client, the web server and the refresher with.
    [[nodiscard]] asio::any_io_executor get_executor() const noexcept { return executor_; }

    /// Operations started and not yet ended.
    [[nodiscard]] std::size_t running() const;

    /// Starts `operation` for `op` on the strand, unless cancel() came first (false then, and
    /// nothing runs). When it ends, `done(op)` runs on the strand, after `op` is final and no
    /// longer counted by running(). `cancel_flag`, when given, is polled while it runs.
    template <class T, class Done>
    bool launch(const std::shared_ptr<bridged_result<T>>& op, asio::awaitable<T> operation,
                const std::atomic<bool>* cancel_flag, Done done)
    {
        std::lock_guard lock(op->mutex);
        if (op->cancel_requested)
            return false;
        op->started = true;
        op->cancel_flag = cancel_flag;
        track(op, cancel_flag != nullptr);
        // Holding op->mutex: a cancel on another thread emits only after the slot is connected.
        asio::co_spawn(strand_, store_result(std::move(operation), op),
                       asio::bind_cancellation_slot(op->signal.slot(),
                                                    [this, op, done = std::move(done)](std::exception_ptr failure) mutable {
                                                        end(op, failure);
                                                        std::move(done)(op);
                                                    }));
        return true;
    }

    /// Any thread: ends the operation (it then fails with errc::cancelled) or keeps it from
    /// starting. Nothing happens once it has ended.
    void request_cancel(const std::shared_ptr<bridged_operation>& op);

    /// Whether `op` ended because it was cancelled (or never started for that reason).
    [[nodiscard]] static bool ended_by_cancel(bridged_operation& op);

private:
    static constexpr std::chrono::milliseconds poll_period{100};

    template <class T>
    static asio::awaitable<void> store_result(asio::awaitable<T> operation, std::shared_ptr<bridged_result<T>> op)
    {
        if constexpr (std::is_void_v<T>)
            co_await std::move(operation);
        else
            op->value.emplace(co_await std::move(operation));
    }

    void track(std::shared_ptr<bridged_operation> op, bool polled);
    void end(const std::shared_ptr<bridged_operation>& op, std::exception_ptr failure);
    void arm_poll();
    void poll(std::error_code ec);

    std::unique_ptr<asio::io_context> own_io_;
    asio::any_io_executor executor_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer poll_timer_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::thread thread_;

    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::unordered_set<std::shared_ptr<bridged_operation>> running_;
    bool polling_ = false;
};

} // namespace discord::oauth2::detail
