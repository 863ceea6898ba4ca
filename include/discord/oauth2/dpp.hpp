// D++ (DPP) bots: the library's operations awaited from a `dpp::task` and D++'s other coroutine
// types, resumed on D++'s thread pool. Always installed; it needs D++ 10.1.5 or later only where a
// bot includes it.
//
//   dpp::cluster bot(token);
//   oauth2::dpp_bridge on_io(bot);                 // runs the library's io_context on a thread of its own
//   oauth2::client discord(on_io.get_executor(), config);
//   oauth2::web_server web(on_io.get_executor(), discord);
//   web.start();
//
//   bot.on_slashcommand([&](const dpp::slashcommand_t& event) -> dpp::task<void> {
//       auto url = web.authorization_url(user_id, {scope::identify, scope::connections});
//       auto result = co_await on_io(web.wait_for_access_token(user_id, url, 1min));
//       auto connections = co_await on_io(discord.get_connections(result->token));
//   });
//
// docs/frameworks.md ("D++") says which thread runs what, what must outlive what, and how D++'s
// cancellation reaches an operation.
#pragma once

#include <discord/oauth2/detail/bridge.hpp>
#include <discord/oauth2/result.hpp>

#include <dpp/cluster.h>
#include <dpp/coro.h>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace discord::oauth2 {

template <class T>
class dpp_awaitable;

namespace detail {

// A D++ task's promise: D++ hands its awaiters the typed handle, whose promise has the flag
// that task::cancel() sets (and nothing else: D++ checks it when the task next resumes).
template <class Promise>
concept dpp_cancellable_promise = requires(Promise& p) {
    { p.cancelled } -> std::same_as<std::atomic<bool>&>;
};

} // namespace detail

/// Runs the library's io_context for a D++ bot and hands operations' results back to D++'s
/// thread pool: `co_await bridge(operation)` in a `dpp::task`, `dpp::coroutine` or `dpp::job`.
///
/// Lifetimes: the cluster outlives the bridge, and the bridge outlives every client, web server
/// and refresher made on its executor (declare it after the cluster and before them). Threads:
/// everything is thread-safe except destruction, which must not happen on the io thread.
class dpp_bridge {
public:
    /// Owns an io_context and one thread that runs it until the bridge is destroyed.
    explicit dpp_bridge(dpp::cluster& bot) : bot_(bot) {}

    /// Uses the bot's own io_context (any executor of it), which must run, on as many threads
    /// as the bot likes, until the bridge is destroyed: the bridge's own work goes through a
    /// strand.
    dpp_bridge(dpp::cluster& bot, asio::any_io_executor executor) : bot_(bot), bridge_(std::move(executor)) {}

    /// Cancels the operations in flight and waits until each has ended (its coroutine is then
    /// resumed on D++'s thread pool), and up to 100 ms for the poll of D++'s cancellation flags
    /// to stop; then stops and joins the io thread the bridge owns (handlers still queued on its
    /// io_context are destroyed, not run). Never call it on the io thread: it waits for that
    /// thread.
    ~dpp_bridge() = default;

    dpp_bridge(const dpp_bridge&) = delete;
    dpp_bridge& operator=(const dpp_bridge&) = delete;

    /// The executor to make the client, the web server and the refresher with.
    [[nodiscard]] asio::any_io_executor get_executor() const noexcept { return bridge_.get_executor(); }

    /// `operation` as something D++'s coroutines can co_await: it starts when awaited, runs on
    /// the io thread, and resumes the awaiting coroutine on D++'s thread pool (never on the io
    /// thread) with its value or its exception (`oauth2::error` and the rest, unchanged). The
    /// result has cancel(), so `dpp::when_any` cancels the loser; a `dpp::task` cancelled with
    /// task::cancel() while it waits has its operation cancelled within 100 ms, and then throws
    /// `dpp::task_cancelled_exception` as D++ does. What the operation refers to (the client,
    /// the web server, a token passed by reference) must outlive it.
    template <class T>
    [[nodiscard]] dpp_awaitable<T> operator()(asio::awaitable<T> operation)
    {
        return dpp_awaitable<T>(*this, std::move(operation));
    }

    /// `operation` as operator() gives it, but never throwing the operation's errors: it resumes
    /// with an `oauth2::result<T>` holding the value or the `error` (code, sentence, Discord's
    /// details), as D++'s own calls give a confirmation_callback_t. A `dpp::task` cannot
    /// co_await inside a catch block, so this is how it answers a failure:
    ///
    ///   auto connections = co_await on_io.result(discord.get_connections(token));
    ///   if (!connections)
    ///       co_return co_await reply(connections.error().what());
    ///
    /// A task cancelled by D++ (task::cancel(), a lost dpp::when_any) still ends with D++'s
    /// `dpp::task_cancelled_exception`, as D++'s own awaitables do.
    template <class T>
    [[nodiscard]] dpp_awaitable<oauth2::result<T>> result(asio::awaitable<T> operation)
    {
        return dpp_awaitable<oauth2::result<T>>(*this, oauth2::as_result(std::move(operation)));
    }

    /// How many bridged operations are running now: started and not ended. A coroutine resumed
    /// by the bridge no longer counts its own operation.
    [[nodiscard]] std::size_t running() const { return bridge_.running(); }

private:
    template <class T>
    friend class dpp_awaitable;

    dpp::cluster& bot_;
    detail::bridge bridge_;
};

/// What dpp_bridge::operator() returns: awaited once, from any D++ coroutine (or any C++20
/// coroutine: its handle is resumed on D++'s thread pool). Movable until awaited.
template <class T>
class dpp_awaitable {
public:
    /// What a co_await on it uses: a pointer to it, so that awaiting it where it lies (inside
    /// dpp::when_any, or a named variable) never copies it, whatever the compiler does with the
    /// awaiter.
    struct awaiter {
        dpp_awaitable* self; ///< the awaitable awaited

        /// Never ready: the operation starts when awaited.
        bool await_ready() const noexcept { return false; }

        /// Starts the operation; the awaiting coroutine resumes on D++'s thread pool when it
        /// ends (at once, here, when cancel() came first).
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> waiting)
        {
            const std::atomic<bool>* task_cancelled = nullptr;
            if constexpr (detail::dpp_cancellable_promise<Promise>)
                task_cancelled = &waiting.promise().cancelled;
            dpp::cluster& bot = self->bridge_->bot_;
            std::coroutine_handle<> resume = waiting;
            return self->bridge_->bridge_.launch(self->op_, std::move(self->operation_), task_cancelled,
                                                 [&bot, resume](const auto&) {
                                                     bot.queue_work(0, [resume] { resume.resume(); });
                                                 });
        }

        /// The operation's value; its exception rethrown; `dpp::task_cancelled_exception` when
        /// cancel() ended it (or kept it from starting). A value that arrived before the
        /// cancellation could take effect is returned, not thrown away.
        T await_resume() { return self->result(); }
    };

    /// Awaited once.
    awaiter operator co_await() noexcept { return awaiter{this}; }

    /// Cancels the operation from any thread: it ends (Discord's request is abandoned, a wait
    /// gives up) and the awaiter throws `dpp::task_cancelled_exception`. `dpp::when_any` calls
    /// it on the awaitables that lost. Nothing happens once the operation has ended.
    void cancel() { bridge_->bridge_.request_cancel(op_); }

private:
    friend class dpp_bridge;

    dpp_awaitable(dpp_bridge& bridge, asio::awaitable<T> operation)
        : bridge_(&bridge), operation_(std::move(operation)), op_(std::make_shared<detail::bridged_result<T>>())
    {
    }

    T result()
    {
        if (detail::bridge::ended_by_cancel(*op_))
            throw dpp::task_cancelled_exception("the oauth2 operation was cancelled");
        if (op_->failure)
            std::rethrow_exception(op_->failure);
        if constexpr (!std::is_void_v<T>)
            return std::move(*op_->value);
    }

    dpp_bridge* bridge_;
    asio::awaitable<T> operation_;
    std::shared_ptr<detail::bridged_result<T>> op_;
};

} // namespace discord::oauth2
