// An executor on which our handlers never run concurrently with each other.
//
// The client and the server keep their state on such an executor, so they are safe on a
// multi-threaded io_context. A strand costs a lock and a queue per handler, so it is skipped
// when the executor already serialises: a strand given by the caller, or an io_context built
// with concurrency hint 1 (`asio::io_context io(1)`), by which the caller promised to run it
// on one thread.
#pragma once

#include <asio/any_io_executor.hpp>

#include <typeinfo>

namespace discord::oauth2::core {

/// The executor inside `executor` when it is a `T`, else null. Asio 1.22's
/// any_executor::target<T>() casts without checking the type: this checks it.
template <class T>
const T* target_as(const asio::any_io_executor& executor) noexcept
{
    return executor.target_type() == typeid(T) ? executor.target<T>() : nullptr;
}

[[nodiscard]] asio::any_io_executor serial_executor(const asio::any_io_executor& executor);

} // namespace discord::oauth2::core
