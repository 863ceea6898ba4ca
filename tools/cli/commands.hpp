// The subcommands of discord-oauth2: what each accepts and what it does.
#pragma once

#include "arguments.hpp"
#include "settings.hpp"

#include <asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

struct invocation {
    const arguments& args;
    const environment& env;
    oauth2::client& client;
    /// The access token, once read (it may come from stdin, which is read once).
    std::optional<oauth2::access_token> bearer_token = std::nullopt;
    /// serve --metrics: the Prometheus text of what the client's metrics observer counted
    /// (empty without --metrics).
    std::function<std::string()> metrics_exposition = {};
};

struct command {
    std::string_view name;
    std::string_view synopsis;        ///< for the usage text
    std::vector<option_spec> options; ///< besides the shared ones
    /// The result to print on stdout (JSON, or a URL for `url` without PKCE).
    asio::awaitable<std::string> (*run)(invocation&);
    /// Takes an action word after its name ("get", "put", ...); the others take no operand.
    bool has_action = false;
    /// What it does, for `COMMAND --help`: a few sentences.
    std::string_view summary = {};
    /// A Bearer read that needs only the access token: no client id (nor secret) is asked for.
    bool bearer_only = false;
    /// The scope its access token needs, when a 401 may mean the token lacks it (Discord answers
    /// a missing scope as it answers a dead token): the failure is then explained.
    std::string_view bearer_scope = {};
};

[[nodiscard]] std::span<const command> commands();
[[nodiscard]] const command* find_command(std::string_view name);
/// Every command's synopsis, the shared options and the exit statuses (`--help`).
[[nodiscard]] std::string usage_text();
/// One command's synopsis, what it does, its options and the exit statuses (`COMMAND --help`).
[[nodiscard]] std::string command_help(const command& c);
/// Runs `c`; a 401 to a command with a bearer_scope is explained (invalid token, or a token
/// without the scope) with one more request, to GET /oauth2/@me.
[[nodiscard]] asio::awaitable<std::string> run_command(const command& c, invocation& in);

} // namespace cli
