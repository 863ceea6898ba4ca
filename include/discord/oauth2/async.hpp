// Every operation as an Asio asynchronous operation: the `async_` forms of the client, the web
// server and the event stream accept any completion token and complete with
// void(std::error_code, T) (or void(std::error_code) for operations without a value). They run
// the same coroutine as the awaitable forms: one implementation of each operation.
#pragma once

#include <discord/oauth2/error.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>

#include <exception>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace discord::oauth2 {

/// A completion token that also keeps what Discord said when the operation fails: made by
/// with_details(). The error_code of the completion says what failed (an `errc`); `details`
/// receives Discord's description, JSON error code, field errors and retry-after, and
/// `message` the sentence error::what() would have said. Both must outlive the operation.
template <class CompletionToken>
struct details_token {
    CompletionToken token; ///< the completion token it wraps
    error_details* details; ///< filled when the operation fails; left alone when it succeeds
    std::string* message;   ///< likewise, the sentence for people; may be null
};

/// Wraps `token` so that a failure's details land in `details` (and its message in `message`
/// when given): `client.async_get_current_user(t, with_details(d, asio::use_future))`.
template <class CompletionToken>
[[nodiscard]] details_token<std::decay_t<CompletionToken>> with_details(error_details& details, CompletionToken&& token,
                                                                        std::string* message = nullptr)
{
    return {std::forward<CompletionToken>(token), &details, message};
}

namespace detail {

/// What an operation's exception becomes in a completion: an oauth2::error its code (and
/// `details`/`message` filled), a std::system_error its code (Asio's operation_aborted becomes
/// errc::cancelled), anything else errc::transport.
std::error_code error_code_of(const std::exception_ptr& failure, error_details* details, std::string* message) noexcept;

template <class T>
struct completion_signature {
    using type = void(std::error_code, T);
};
template <>
struct completion_signature<void> {
    using type = void(std::error_code);
};

template <class Token>
struct is_details_token : std::false_type {};
template <class Token>
struct is_details_token<details_token<Token>> : std::true_type {};

// Calls `start(token, details, message)` with the token with_details() wrapped, or with `token`
// itself and no details: every initiation unwraps with_details the same way.
template <class CompletionToken, class Start>
auto with_unwrapped_details(CompletionToken&& token, Start&& start)
{
    if constexpr (is_details_token<std::decay_t<CompletionToken>>::value)
        return start(std::forward<CompletionToken>(token).token, token.details, token.message);
    else
        return start(std::forward<CompletionToken>(token), static_cast<error_details*>(nullptr),
                     static_cast<std::string*>(nullptr));
}

// Runs `operation` on `executor` and completes `token` with its outcome, on the handler's own
// executor (else `executor`); the handler's cancellation slot cancels the operation.
template <class T, class CompletionToken>
auto run_as_async(const asio::any_io_executor& executor, asio::awaitable<T> operation, CompletionToken&& token,
                  error_details* details, std::string* message)
{
    return asio::async_initiate<CompletionToken, typename completion_signature<T>::type>(
        [executor, details, message](auto handler, asio::awaitable<T> op) {
            auto slot = asio::get_associated_cancellation_slot(handler);
            auto handler_executor = asio::get_associated_executor(handler, executor);
            // co_spawn completes with (exception_ptr) or (exception_ptr, T): the value, if any, follows.
            auto done = [h = std::move(handler), details, message](std::exception_ptr e, auto... value) mutable {
                std::move(h)(error_code_of(e, details, message), std::move(value)...);
            };
            asio::co_spawn(executor, std::move(op),
                           asio::bind_cancellation_slot(slot, asio::bind_executor(handler_executor, std::move(done))));
        },
        token, std::move(operation));
}

/// The operation `(object->*member)(value, args...)` with `value` and `args` kept in its own
/// coroutine frame until it ends: the async_ forms take what they are given by value, as Asio
/// does, and the operation refers to those copies. A member pointer rather than a lambda, so
/// that the frame's type never holds a type without linkage (a lambda of a template
/// instantiated with the caller's own lambda token), which g++ warns about in a header.
template <class Value, class Object, class Result, class... Params>
asio::awaitable<Result> keeping(Value value, Object* object,
                                asio::awaitable<Result> (Object::*member)(const Value&, Params...),
                                std::decay_t<Params>... args)
{
    co_return co_await (object->*member)(static_cast<const Value&>(value), std::move(args)...);
}

/// `operation` as an asynchronous operation for any completion token (see async.hpp).
template <class T, class CompletionToken>
auto async_operation(const asio::any_io_executor& executor, asio::awaitable<T> operation, CompletionToken&& token)
{
    return with_unwrapped_details(std::forward<CompletionToken>(token),
                                  [&](auto&& inner, error_details* details, std::string* message) {
                                      return run_as_async<T>(executor, std::move(operation),
                                                             std::forward<decltype(inner)>(inner), details, message);
                                  });
}

} // namespace detail
} // namespace discord::oauth2
