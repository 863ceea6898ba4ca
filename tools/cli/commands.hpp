// The subcommands of discord-oauth2: what each accepts and what it does.
#pragma once

#include "arguments.hpp"
#include "settings.hpp"

#include <asio/awaitable.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

struct invocation {
    const arguments& args;
    const environment& env;
    oauth2::client& client;
};

struct command {
    std::string_view name;
    std::string_view synopsis;        ///< for the usage text
    std::vector<option_spec> options; ///< besides the shared ones
    /// The result to print on stdout (JSON, or a URL for `url` without PKCE).
    asio::awaitable<std::string> (*run)(invocation&);
    /// Takes an action word after its name ("get", "put", ...); the others take no operand.
    bool has_action = false;
};

[[nodiscard]] std::span<const command> commands();
[[nodiscard]] const command* find_command(std::string_view name);
[[nodiscard]] std::string usage_text();

} // namespace cli
