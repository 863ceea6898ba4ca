// `discord-oauth2 serve`, the long-running sidecar (serve.cpp, docs/serve.md).
#pragma once

#include "commands.hpp"

namespace cli {

/// Runs until SIGTERM or SIGINT; prints the ready line and the events itself, and returns "".
[[nodiscard]] asio::awaitable<std::string> serve_command(invocation& in);

} // namespace cli
