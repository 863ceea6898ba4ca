// discord-oauth2: every OAuth2 operation of the library from the shell.
//
//   export DISCORD_CLIENT_ID=... DISCORD_CLIENT_SECRET=... DISCORD_REDIRECT_URI=...
//   discord-oauth2 url --scope identify connections
//   discord-oauth2 exchange --code CODE > grant.json
//   jq -r .access_token grant.json | discord-oauth2 me --access-token -
//
// Exit status: 0 done, 1 the operation failed (one line on stderr), 2 a usage error (one line
// on stderr and where to read more: `discord-oauth2 COMMAND --help`).
#include "commands.hpp"
#include "log_output.hpp"
#if DISCORD_OAUTH2_HAVE_PROMETHEUS
#include "prometheus_text.hpp"

#include <discord/oauth2/prometheus.hpp>

#include <prometheus/registry.h>
#endif

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <sys/prctl.h>

namespace {

// A usage error is one line saying what is wrong, and where the help is: the whole usage text
// after every mistake buries the one line that matters.
int usage(std::string_view message, const cli::command* command)
{
    if (command)
        fmt::print(stderr, "discord-oauth2: {}\nsee: discord-oauth2 {} --help\n", message, command->name);
    else
        fmt::print(stderr, "discord-oauth2: {}\nsee: discord-oauth2 --help\n", message);
    return 2;
}

// Every option any command knows, so that a misplaced one is reported as such.
std::vector<cli::option_spec> all_options()
{
    std::vector<cli::option_spec> all;
    for (const auto& o : cli::shared_options)
        all.push_back({o.name, cli::option_kind::value});
    all.push_back({"help", cli::option_kind::flag});
    all.push_back({"version", cli::option_kind::flag});
    all.push_back({"allow-core-dumps", cli::option_kind::flag});
    for (const auto& c : cli::commands())
        for (const auto& o : c.options)
            if (std::none_of(all.begin(), all.end(), [&](const cli::option_spec& s) { return s.name == o.name; }))
                all.push_back(o);
    return all;
}

void check_options_belong(const cli::arguments& args, const cli::command& c)
{
    for (const auto& [name, values] : args.options) {
        bool shared = std::any_of(std::begin(cli::shared_options), std::end(cli::shared_options),
                                  [&](const cli::shared_option& o) { return o.name == name; });
        bool own = std::any_of(c.options.begin(), c.options.end(), [&](const cli::option_spec& o) { return o.name == name; });
        if (!shared && !own && name != "help" && name != "version" && name != "allow-core-dumps")
            throw cli::usage_error(fmt::format("{} does not take --{}", c.name, name));
    }
    if (!c.has_action && args.words.size() > 1)
        throw cli::usage_error(fmt::format("{} takes no operand '{}'", c.name, args.words[1]));
}

// Whether the operator asked for core dumps: --allow-core-dumps, or DISCORD_ALLOW_CORE_DUMPS=1.
bool core_dumps_allowed(const cli::arguments& args)
{
    const char* variable = std::getenv("DISCORD_ALLOW_CORE_DUMPS");
    return args.has("allow-core-dumps") || (variable && std::string_view(variable) == "1");
}

} // namespace

int main(int argc, char** argv)
{
    // Not dumpable from the start: the secrets this process reads (the client secret in its
    // environment, tokens, keys, a grant store's plaintext) would otherwise be in the core file a
    // crash leaves, and any process of the same user could read its memory (/proc/PID/mem,
    // ptrace). The operator who wants a core file says so; nothing secret is read before that.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::vector<std::string> words(argv + 1, argv + argc);
    const cli::command* command = nullptr;
    try {
        // The command is known before the rest is parsed, so that its mistakes point at its help.
        if (!words.empty() && !words.front().starts_with("--"))
            command = cli::find_command(words.front());
        auto args = cli::parse_arguments(words, all_options());
        if (core_dumps_allowed(args))
            ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if (args.has("version")) {
            fmt::print("discord-oauth2 {}\n", DISCORD_OAUTH2_VERSION);
            return 0;
        }
        if (args.words.empty() && !args.has("help") && args.options.empty()) {
            fmt::print(stderr, "{}", cli::usage_text());
            return 2;
        }
        if (args.words.empty() && args.has("help")) {
            fmt::print("{}", cli::usage_text());
            return 0;
        }
        if (args.words.empty())
            throw cli::usage_error("which command? (url, exchange, me, ...)");
        if (!command)
            throw cli::usage_error(fmt::format("unknown command '{}'", args.words.front()));
        if (args.has("help")) {
            fmt::print("{}", cli::command_help(*command));
            return 0;
        }
        check_options_belong(args, *command);

        auto env = cli::process_environment();
        asio::io_context io(1);
        // The store's own work (listing, moving and re-sealing grants) sends nothing to Discord:
        // no client id is asked for; refresh and revoke do talk to Discord, and need one.
        bool store_only = command->name == "grants" && args.words.size() == 2
            && (args.words[1] == "list" || args.words[1] == "export" || args.words[1] == "import"
                || args.words[1] == "rekey");
        auto config = cli::client_settings(args, env, !command->bearer_only && !store_only);
        cli::configure_logging(args, env, config);
        // serve --metrics: what the client, the web server and the refresher count goes to a
        // Prometheus registry of this process, which serve's operator endpoint exposes.
        std::function<std::string()> exposition;
        if (command->name == "serve" && cli::setting(args, env, "metrics")) {
#if DISCORD_OAUTH2_HAVE_PROMETHEUS
            auto registry = std::make_shared<prometheus::Registry>();
            config.metrics = discord::oauth2::make_prometheus_metrics(*registry);
            exposition = [registry] { return cli::prometheus_text(*registry); };
#else
            throw cli::usage_error("--metrics needs Prometheus support, which this build lacks (prometheus-cpp)");
#endif
        }
        discord::oauth2::client client(io.get_executor(), std::move(config));
        cli::invocation in{args, env, client};
        in.metrics_exposition = std::move(exposition);
        std::string output;
        std::exception_ptr failure;
        asio::co_spawn(io, cli::run_command(*command, in), [&](std::exception_ptr e, std::string out) {
            failure = e;
            output = std::move(out);
        });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        std::fwrite(output.data(), 1, output.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    } catch (const cli::usage_error& e) {
        return usage(e.what(), command);
    } catch (const discord::oauth2::error& e) {
        // The library's messages never contain a secret.
        fmt::print(stderr, "discord-oauth2: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "discord-oauth2: {}\n", e.what());
        return 1;
    }
}
