// What the documentation's C++ fragments may assume around them (tests/docs/extract_code.py):
// every public header, the private headers that docs/http-client.md and docs/server-core.md
// describe, the usual aliases, and the few names a fragment uses without defining them. The
// fragments are compiled against this, not run.
#pragma once

#include <discord/oauth2.hpp>

#include "http/client.hpp"
#include "server/router.hpp"
#include "server/server.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace server = discord::oauth2::server;
using namespace std::chrono_literals;

namespace docs_context {

/// A bot framework's own coroutine type (docs/client.md): a task that can co_await anything
/// with await_ready/await_suspend/await_resume, such as oauth2::on(...).
template <class T>
struct my_task {
    struct promise_type {
        my_task get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::terminate(); }
    };
};

} // namespace docs_context

using docs_context::my_task;
