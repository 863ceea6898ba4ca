// Who the command line is and where Discord is: options first, then DISCORD_* variables.
#pragma once

#include <asio/awaitable.hpp>

#include "arguments.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/rekey.hpp>
#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token_store.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cli {

namespace oauth2 = discord::oauth2;

/// Reads an environment variable; empty values count as unset.
using environment = std::function<std::optional<std::string>(const char* name)>;
[[nodiscard]] environment process_environment();

/// The options every command shares, with their DISCORD_* variable.
struct shared_option {
    std::string_view name;
    const char* variable;
};
inline constexpr shared_option shared_options[] = {
    {"client-id", "DISCORD_CLIENT_ID"},       {"client-secret", "DISCORD_CLIENT_SECRET"},
    {"redirect-uri", "DISCORD_REDIRECT_URI"}, {"api-base", "DISCORD_API_BASE"},
    {"authorize-url", "DISCORD_AUTHORIZE_URL"}, {"ca-file", "DISCORD_CA_FILE"},
    {"bot-token", "DISCORD_BOT_TOKEN"},       {"access-token", "DISCORD_ACCESS_TOKEN"},
    {"store", "DISCORD_STORE"},               {"store-key-file", "DISCORD_STORE_KEY_FILE"},
    {"log-format", "DISCORD_LOG_FORMAT"},     {"log-level", "DISCORD_LOG_LEVEL"},
};

/// Options of single commands that hold secrets, and the variable each may come from instead.
inline constexpr shared_option secret_options[] = {
    {"code", "DISCORD_CODE"},
    {"code-verifier", "DISCORD_CODE_VERIFIER"},
    {"refresh-token", "DISCORD_REFRESH_TOKEN"},
    {"token", "DISCORD_TOKEN"},
    {"id-token", "DISCORD_ID_TOKEN"},
};

/// Options of single commands (serve's) that are not secrets, and their variables.
inline constexpr shared_option command_variables[] = {
    {"public-key", "DISCORD_PUBLIC_KEY"},
    {"control", "DISCORD_CONTROL"},
    {"control-key-file", "DISCORD_CONTROL_KEY_FILE"},
    {"state-key-file", "DISCORD_STATE_KEY_FILE"},
    {"metrics", "DISCORD_METRICS"},
};

/// The option, else its variable.
[[nodiscard]] std::optional<std::string> setting(const arguments& args, const environment& env, std::string_view name);

/// A setting that is a secret (a token, code, verifier, client secret or a URL with a password),
/// which a command line shows to every user of the machine (`ps`) and to the shell's history.
/// As setting(), and then a value of `-` is one line read from stdin (once per run), and a value
/// `@FILE` is the first line of FILE. usage_error when stdin or FILE gives nothing.
[[nodiscard]] std::optional<std::string> secret_setting(const arguments& args, const environment& env,
                                                        std::string_view name);

/// The client's configuration; usage_error when the client id is malformed, or missing while
/// `needs_application` (a Bearer read alone sends no client id).
[[nodiscard]] oauth2::client_config client_settings(const arguments& args, const environment& env,
                                                    bool needs_application = true);

/// The grant store named by --store (sqlite:PATH or a postgres:// URL) with --store-key-file,
/// or null when none is given. usage_error for an unknown kind of store or a missing key file
/// option; the store's own errors (unreachable, wrong key) otherwise.
[[nodiscard]] asio::awaitable<std::shared_ptr<oauth2::token_store>> grant_store(const arguments& args,
                                                                              const environment& env);

/// A durable store's set_keys (sqlite or postgres); usage_error for any other store.
[[nodiscard]] asio::awaitable<void> set_store_keys(oauth2::token_store& store, oauth2::store_key_ring keys);
/// A durable store's rekey (sqlite or postgres); usage_error for any other store.
[[nodiscard]] asio::awaitable<oauth2::rekey_report> rekey_store(oauth2::token_store& store);

/// A duration option ("90" or "90s", "2m" or "2min", "1h", "1500ms"), `fallback` when absent;
/// usage_error naming it when it is not one, not positive, or longer than a day.
[[nodiscard]] std::chrono::milliseconds duration_option(const arguments& args, std::string_view name,
                                                        std::chrono::milliseconds fallback);

/// A snowflake option; usage_error naming it when missing or not a snowflake.
[[nodiscard]] oauth2::snowflake snowflake_option(const arguments& args, std::string_view name);
/// `text`, one value of option `name`, as a snowflake; usage_error when it is not one.
[[nodiscard]] oauth2::snowflake snowflake_value(std::string_view name, std::string_view text);

} // namespace cli
