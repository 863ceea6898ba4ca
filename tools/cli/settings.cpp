#include "settings.hpp"

#if DISCORD_OAUTH2_HAVE_POSTGRES
#include <discord/oauth2/postgres_token_store.hpp>
#endif
#include <discord/oauth2/sqlite_token_store.hpp>

#include <asio/this_coro.hpp>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace cli {
namespace {

std::optional<oauth2::snowflake> parse_snowflake(std::string_view text)
{
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0)
        return std::nullopt;
    return oauth2::snowflake(v);
}

const char* variable_of(std::string_view name)
{
    for (const auto& o : shared_options)
        if (o.name == name)
            return o.variable;
    for (const auto& o : secret_options)
        if (o.name == name)
            return o.variable;
    for (const auto& o : command_variables)
        if (o.name == name)
            return o.variable;
    return nullptr;
}

std::string without_line_end(std::string line)
{
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    return line;
}

bool stdin_taken = false;

} // namespace

environment process_environment()
{
    return [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (!v || !*v)
            return std::nullopt;
        return std::string(v);
    };
}

std::optional<std::string> setting(const arguments& args, const environment& env, std::string_view name)
{
    if (auto v = args.value(name))
        return v;
    if (auto variable = variable_of(name))
        return env(variable);
    return std::nullopt;
}

std::optional<std::string> secret_setting(const arguments& args, const environment& env, std::string_view name)
{
    auto value = setting(args, env, name);
    if (!value)
        return value;
    std::string option = "--" + std::string(name);
    std::string line;
    if (*value == "-") {
        if (stdin_taken)
            throw usage_error(option + " -: only one option can read stdin");
        stdin_taken = true;
        if (!std::getline(std::cin, line))
            throw usage_error(option + " -: nothing came on stdin");
    } else if (value->starts_with('@')) {
        std::ifstream file(value->substr(1), std::ios::binary);
        if (!file)
            throw usage_error(option + " @FILE: " + value->substr(1) + " cannot be read");
        std::getline(file, line);
    } else {
        return value;
    }
    line = without_line_end(std::move(line));
    if (line.empty())
        throw usage_error(option + ": the value read is empty");
    return line;
}

oauth2::client_config client_settings(const arguments& args, const environment& env, bool needs_application)
{
    oauth2::client_config c;
    auto id = setting(args, env, "client-id");
    if (!id && !needs_application) {
        // A Bearer read sends only the user's token; the client still wants an id, which no
        // request of these commands carries.
        id = "1";
    }
    if (!id)
        throw usage_error("the client id is missing: pass --client-id or set DISCORD_CLIENT_ID");
    auto parsed = parse_snowflake(*id);
    if (!parsed)
        throw usage_error("the client id must be a snowflake (a positive whole number)");
    c.client_id = *parsed;
    if (auto s = secret_setting(args, env, "client-secret"))
        c.client_secret = oauth2::secret(*s);
    c.redirect_uri = setting(args, env, "redirect-uri").value_or("");
    if (auto base = setting(args, env, "api-base")) {
        if (!base->starts_with("http://") && !base->starts_with("https://"))
            throw usage_error("--api-base must be an http:// or https:// URL");
        c.endpoints = oauth2::endpoints::under(*base);
    }
    if (auto authorize = setting(args, env, "authorize-url"))
        c.endpoints.authorize = *authorize;
    c.ca_file = setting(args, env, "ca-file").value_or("");
    if (auto bot = secret_setting(args, env, "bot-token"))
        c.bot_token = oauth2::secret(*bot);
    // A token given on the command line comes without its scopes: let Discord judge them.
    c.check_scopes = false;
    return c;
}

asio::awaitable<std::shared_ptr<oauth2::token_store>> grant_store(const arguments& args, const environment& env)
{
    auto where = secret_setting(args, env, "store"); // a postgres:// URL may hold a password
    if (!where)
        co_return nullptr;
    bool postgres = where->starts_with("postgres://") || where->starts_with("postgresql://");
    if (!where->starts_with("sqlite:") && !postgres)
        throw usage_error("--store takes sqlite:PATH or a postgres:// URL");
    auto key_file = setting(args, env, "store-key-file");
    if (!key_file)
        throw usage_error("a store needs its key: pass --store-key-file or set DISCORD_STORE_KEY_FILE "
                          "(64 hexadecimal digits; e.g. `openssl rand -hex 32 > grants.key`; during a rotation, "
                          "one key a line, the one that seals first)");
    auto key = oauth2::store_key_ring::from_file(*key_file);
    if (!postgres)
        co_return oauth2::sqlite_token_store::open(where->substr(7), std::move(key));
#if DISCORD_OAUTH2_HAVE_POSTGRES
    auto executor = co_await asio::this_coro::executor;
    co_return co_await oauth2::postgres_token_store::open(executor, *where, std::move(key));
#else
    throw usage_error("this discord-oauth2 was built without PostgreSQL support (-Dpostgres=disabled): "
                      "--store takes sqlite:PATH");
#endif
}

asio::awaitable<void> set_store_keys(oauth2::token_store& store, oauth2::store_key_ring keys)
{
    if (auto* sqlite = dynamic_cast<oauth2::sqlite_token_store*>(&store)) {
        co_await sqlite->set_keys(std::move(keys));
        co_return;
    }
#if DISCORD_OAUTH2_HAVE_POSTGRES
    if (auto* postgres = dynamic_cast<oauth2::postgres_token_store*>(&store)) {
        co_await postgres->set_keys(std::move(keys));
        co_return;
    }
#endif
    throw usage_error("only a durable store (sqlite:PATH or a postgres:// URL) has keys");
}

asio::awaitable<oauth2::rekey_report> rekey_store(oauth2::token_store& store)
{
    if (auto* sqlite = dynamic_cast<oauth2::sqlite_token_store*>(&store))
        co_return co_await sqlite->rekey();
#if DISCORD_OAUTH2_HAVE_POSTGRES
    if (auto* postgres = dynamic_cast<oauth2::postgres_token_store*>(&store))
        co_return co_await postgres->rekey();
#endif
    throw usage_error("rekey needs a durable store (sqlite:PATH or a postgres:// URL)");
}

std::chrono::milliseconds duration_option(const arguments& args, std::string_view name, std::chrono::milliseconds fallback)
{
    auto v = args.value(name);
    if (!v)
        return fallback;
    long long n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    std::string_view unit(end, static_cast<std::size_t>(v->data() + v->size() - end));
    long long scale = unit.empty() || unit == "s"     ? 1000
                    : unit == "m" || unit == "min"    ? 60'000
                    : unit == "h"                     ? 3'600'000
                    : unit == "ms"                    ? 1
                                                      : 0;
    if (ec != std::errc() || n <= 0 || scale == 0 || n > 86'400'000 / scale)
        throw usage_error("--" + std::string(name) + " takes a duration such as 60s, 10m or 1500ms (at most a day)");
    return std::chrono::milliseconds(n * scale);
}

oauth2::snowflake snowflake_value(std::string_view name, std::string_view text)
{
    auto parsed = parse_snowflake(text);
    if (!parsed)
        throw usage_error("--" + std::string(name) + " must be a snowflake (a positive whole number)");
    return *parsed;
}

oauth2::snowflake snowflake_option(const arguments& args, std::string_view name)
{
    auto v = args.value(name);
    if (!v)
        throw usage_error("--" + std::string(name) + " is required");
    return snowflake_value(name, *v);
}

} // namespace cli
