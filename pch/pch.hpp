// Precompiled header: Asio's coroutine machinery dominates compile times on small machines.


#include <asio/experimental/channel.hpp> // first: Asio 1.22's experimental/coro.hpp needs it included before
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
