// Precompiled header: Asio's coroutine machinery dominates compile times on small machines.
// Only targets with several sources use it (the libraries, the emulator's, the command line's,
// the test support): g++ writes a 150 MB precompiled header for every target that asks, and
// building one takes longer (5 s) than it saves a single source (1.5 s). With one per test the
// g++ build needed 13 GB of disk and ran a CI machine out of it (docs/compilers.md).


#include <asio/experimental/channel.hpp> // first: Asio 1.22's experimental/coro.hpp needs it included before
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
