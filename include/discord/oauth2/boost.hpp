// Boost.Asio applications: the library's operations awaited from a `boost::asio::awaitable`
// coroutine, or completed through any Boost completion token, on the caller's Boost executor.
// Always installed; it needs Boost only where a bot includes it. Written against Boost 1.74 (Debian 12's).
//
//   boost::asio::io_context bot_io;                  // the application's own
//   oauth2::boost_bridge on_io;                      // the library's io_context, on a thread of its own
//   oauth2::client discord(on_io.get_executor(), config);
//   oauth2::web_server web(on_io.get_executor(), discord);
//
//   boost::asio::awaitable<void> command(oauth2::snowflake user_id) {
//       auto url = web.authorization_url(user_id, {scope::identify, scope::connections});
//       auto result = co_await on_io(web.wait_for_access_token(user_id, url, 1min));
//       auto connections = co_await on_io(discord.get_connections(result->token));
//   }
//
// docs/frameworks.md ("Boost.Asio") says which thread runs what, what must outlive what, and
// what Boost 1.74 cannot cancel.
#pragma once

// Boost.Asio before 1.78 and standalone Asio (which the library is written on) define the same
// global helper namespaces (asio_query_fn, asio_execution_execute_fn, ...), so one translation
// unit cannot include both as they are. This header includes all of Boost.Asio with those
// names renamed (boost_asio_...): it must come before any other Boost.Asio header.
#if defined(BOOST_ASIO_DETAIL_CONFIG_HPP) && !defined(DISCORD_OAUTH2_BOOST_ASIO_RENAMED)
#error "include <discord/oauth2/boost.hpp> before any Boost.Asio header (docs/frameworks.md, Boost.Asio)"
#endif
#define DISCORD_OAUTH2_BOOST_ASIO_RENAMED 1
#define asio_execution_bulk_execute_fn boost_asio_execution_bulk_execute_fn
#define asio_execution_connect_fn boost_asio_execution_connect_fn
#define asio_execution_execute_fn boost_asio_execution_execute_fn
#define asio_execution_schedule_fn boost_asio_execution_schedule_fn
#define asio_execution_set_done_fn boost_asio_execution_set_done_fn
#define asio_execution_set_error_fn boost_asio_execution_set_error_fn
#define asio_execution_set_value_fn boost_asio_execution_set_value_fn
#define asio_execution_start_fn boost_asio_execution_start_fn
#define asio_execution_submit_fn boost_asio_execution_submit_fn
#define asio_prefer_fn boost_asio_prefer_fn
#define asio_query_fn boost_asio_query_fn
#define asio_require_concept_fn boost_asio_require_concept_fn
#define asio_require_fn boost_asio_require_fn
#include <utility> // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <boost/asio.hpp>
#undef asio_execution_bulk_execute_fn
#undef asio_execution_connect_fn
#undef asio_execution_execute_fn
#undef asio_execution_schedule_fn
#undef asio_execution_set_done_fn
#undef asio_execution_set_error_fn
#undef asio_execution_set_value_fn
#undef asio_execution_start_fn
#undef asio_execution_submit_fn
#undef asio_prefer_fn
#undef asio_query_fn
#undef asio_require_concept_fn
#undef asio_require_fn

#include <discord/oauth2/detail/bridge.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <type_traits>

namespace discord::oauth2 {

namespace detail {

template <class T>
struct boost_signature {
    using type = void(std::exception_ptr, T);
};
template <>
struct boost_signature<void> {
    using type = void(std::exception_ptr);
};

} // namespace detail

/// Runs the library's io_context for a Boost.Asio application and completes operations on the
/// application's Boost executors: `co_await bridge(operation)` in a `boost::asio::awaitable`,
/// or `bridge(operation, token)` with any Boost completion token.
///
/// Completions follow Boost.Asio's own `co_spawn`: `void(std::exception_ptr, T)` (a value-
/// initialized T when the operation threw), so `use_awaitable` rethrows `oauth2::error` with
/// Discord's details intact. Boost 1.74 has no per-operation cancellation; destroying the
/// bridge cancels what is in flight (each ends with `errc::cancelled`).
///
/// Lifetimes: the bridge outlives every client, web server and refresher made on its executor,
/// and the Boost io_context of a completion outlives the operation (as for any Boost.Asio
/// operation). Threads: everything is thread-safe except destruction, which must not happen on
/// the bridge's io thread.
class boost_bridge {
public:
    /// Owns an io_context and one thread that runs it until the bridge is destroyed.
    boost_bridge() = default;

    /// Uses an io_context of the application's (standalone Asio's: the library is written on
    /// it), which must run until the bridge is destroyed.
    explicit boost_bridge(asio::any_io_executor executor) : bridge_(std::move(executor)) {}

    /// Cancels the operations in flight, waits until each has ended and its completion is
    /// posted to its Boost executor, then stops and joins the io thread the bridge owns.
    ~boost_bridge() = default;

    boost_bridge(const boost_bridge&) = delete;
    boost_bridge& operator=(const boost_bridge&) = delete;

    /// The executor to make the client, the web server and the refresher with.
    [[nodiscard]] asio::any_io_executor get_executor() const noexcept { return bridge_.get_executor(); }

    /// `operation` as a Boost.Asio asynchronous operation: it runs on the library's io thread
    /// and completes `token` with `void(std::exception_ptr, T)` on the token's associated Boost
    /// executor (the awaiting coroutine's for `use_awaitable`), which is kept busy meanwhile.
    /// What the operation refers to (the client, the web server, a token passed by reference)
    /// must outlive it.
    template <class T, class CompletionToken>
    auto operator()(asio::awaitable<T> operation, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, typename detail::boost_signature<T>::type>(
            [this](auto handler, asio::awaitable<T> op) { start(std::move(op), std::move(handler)); }, token,
            std::move(operation));
    }

    /// The same for `boost::asio::use_awaitable`: `co_await bridge(operation)` in a
    /// `boost::asio::awaitable`, which returns the value or rethrows the operation's exception.
    /// (An overload, not a default argument: see docs/compilers.md.)
    template <class T>
    [[nodiscard]] boost::asio::awaitable<T> operator()(asio::awaitable<T> operation)
    {
        return (*this)(std::move(operation), boost::asio::use_awaitable);
    }

    /// Operations started and not yet ended.
    [[nodiscard]] std::size_t running() const { return bridge_.running(); }

private:
    template <class T, class Handler>
    void start(asio::awaitable<T> operation, Handler handler)
    {
        static_assert(std::is_void_v<T> || std::is_default_constructible_v<T>,
                      "a Boost completion needs a T to pass beside the exception");
        // Outstanding work on the handler's executor, so that its io_context::run() waits for us.
        auto executor = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                            boost::asio::execution::outstanding_work.tracked);
        auto op = std::make_shared<detail::bridged_result<T>>();
        bridge_.launch(op, std::move(operation), nullptr,
                       [handler = std::move(handler), executor](const std::shared_ptr<detail::bridged_result<T>>& done) mutable {
                           boost::asio::post(executor, [handler = std::move(handler), done]() mutable {
                               if constexpr (std::is_void_v<T>)
                                   std::move(handler)(done->failure);
                               else if (done->failure)
                                   std::move(handler)(done->failure, T{});
                               else
                                   std::move(handler)(nullptr, std::move(*done->value));
                           });
                       });
    }

    detail::bridge bridge_;
};

} // namespace discord::oauth2
