// discord-oauth2-emulator: a local Discord for OAuth2 development and tests.
// When it is ready it prints one JSON line on stdout (url, ca_file, applications, users), then
// serves until SIGINT or SIGTERM.
#include "emulator.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace em = discord::oauth2::emulator;

namespace {

constexpr std::string_view usage = R"(usage: discord-oauth2-emulator [options]
  --host ADDRESS         listen address (default 127.0.0.1)
  --port PORT            listen port; 0 picks a free one (default 0)
  --tls                  serve HTTPS with a generated self-signed certificate
  --tls-dir DIR          where to write the certificate and key (default: a temporary directory)
  --seed FILE            users, connections, guilds and applications from a JSON file
  --auto-approve[=ID]    approve every authorization at once, as user ID (default: the first user)
  --code-ttl SECONDS     authorization code lifetime (default 100)
  --token-ttl SECONDS    access token lifetime (default 604800)
  --fault SPEC           inject a fault, repeatable: 'METHOD PATH KIND [every=N] [probability=P]'
                         with KIND latency=MS, status=CODE, reset-before, reset-after or truncate,
                         e.g. --fault 'POST /oauth2/token reset-after every=2'
  --no-rate-limits       turn Discord's rate limits off (for benchmarks)
  --redirect-uri URI     register URI for every application too, repeatable (e.g. your bot's
                         http://127.0.0.1:PORT/callback), without writing a seed file
  --event-webhook [CLIENT_ID=]URL
                         send the application's webhook events (authorizations, deauthorizations,
                         entitlements) to URL, signed with its key (default: the first
                         application); repeatable
  --event-retry-for SECONDS
                         keep retrying an undelivered event this long (default 600)
  --bad-ping-probability P
                         before an event, with probability P, send a PING with a bad signature,
                         which the endpoint must refuse with 401 (default 0)
  --event-ca-file FILE   trust this PEM bundle for https event webhook URLs
  --no-event-url-check   keep an event webhook URL set by PATCH /applications/@me without
                         PINGing it first
  --id-token-alg ALG     sign ID tokens (scope openid) with RS256 (default, as Discord),
                         ES256 or EdDSA
  --help                 this text
)";

[[noreturn]] void fail(std::string_view message)
{
    fmt::print(stderr, "discord-oauth2-emulator: {}\n\n{}", message, usage);
    std::exit(2);
}

long long number(std::string_view flag, std::string_view text, long long min, long long max)
{
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
        fail(fmt::format("{} needs a whole number from {} to {}, not '{}'", flag, min, max, text));
    return v;
}

} // namespace

int main(int argc, char** argv)
{
    em::options opts;
    std::vector<std::string> extra_redirects;
    std::vector<std::pair<std::optional<em::snowflake>, std::string>> event_webhooks;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto next = [&]() -> std::string_view {
            if (i + 1 >= argc)
                fail(fmt::format("{} needs a value", arg));
            return argv[++i];
        };
        if (arg == "--help") {
            fmt::print("{}", usage);
            return 0;
        } else if (arg == "--host") {
            opts.host = next();
        } else if (arg == "--port") {
            opts.port = static_cast<std::uint16_t>(number(arg, next(), 0, 65535));
        } else if (arg == "--tls") {
            opts.tls = true;
        } else if (arg == "--seed") {
            try {
                opts.world = em::load_seed(std::string(next()));
            } catch (const std::exception& e) {
                fail(e.what());
            }
        } else if (arg == "--tls-dir") {
            opts.tls_directory = next();
        } else if (arg == "--auto-approve") {
            opts.auto_approve = true;
        } else if (arg.starts_with("--auto-approve=")) {
            opts.auto_approve = true;
            auto id = em::parse_snowflake(arg.substr(15));
            if (!id)
                fail("--auto-approve= needs a user id");
            opts.auto_approve_user = *id;
        } else if (arg == "--code-ttl") {
            opts.code_ttl = std::chrono::seconds(number(arg, next(), 1, 86400));
        } else if (arg == "--fault") {
            try {
                opts.faults.push_back(em::fault::parse(next()));
            } catch (const std::exception& e) {
                fail(e.what());
            }
        } else if (arg == "--no-rate-limits") {
            opts.rate_limits.enabled = false;
        } else if (arg == "--redirect-uri") {
            auto uri = next();
            if (!uri.starts_with("http://") && !uri.starts_with("https://"))
                fail(fmt::format("--redirect-uri needs an http:// or https:// URI, not '{}'", uri));
            extra_redirects.emplace_back(uri);
        } else if (arg == "--event-webhook") {
            std::string_view value = next();
            std::optional<em::snowflake> client;
            if (auto eq = value.find('='); eq != std::string_view::npos && value.substr(0, eq).find(':') == std::string_view::npos) {
                client = em::parse_snowflake(value.substr(0, eq));
                if (!client)
                    fail(fmt::format("--event-webhook: '{}' is not a client id", value.substr(0, eq)));
                value = value.substr(eq + 1);
            }
            if (!value.starts_with("http://") && !value.starts_with("https://"))
                fail(fmt::format("--event-webhook needs an http:// or https:// URL, not '{}'", value));
            event_webhooks.emplace_back(client, std::string(value));
        } else if (arg == "--event-retry-for") {
            opts.deliveries.retry_for = std::chrono::seconds(number(arg, next(), 0, 86400));
        } else if (arg == "--bad-ping-probability") {
            auto text = std::string(next());
            char* end = nullptr;
            double p = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(p >= 0 && p <= 1))
                fail(fmt::format("--bad-ping-probability needs a number from 0 to 1, not '{}'", text));
            opts.deliveries.bad_ping_probability = p;
        } else if (arg == "--event-ca-file") {
            opts.deliveries.ca_file = next();
        } else if (arg == "--no-event-url-check") {
            opts.check_event_webhook_urls = false;
        } else if (arg == "--id-token-alg") {
            opts.id_token_algorithm = std::string(next());
            if (opts.id_token_algorithm != "RS256" && opts.id_token_algorithm != "ES256" && opts.id_token_algorithm != "EdDSA")
                fail(fmt::format("--id-token-alg is RS256, ES256 or EdDSA, not '{}'", opts.id_token_algorithm));
        } else if (arg == "--token-ttl") {
            opts.token_ttl = std::chrono::seconds(number(arg, next(), 1, 31536000));
        } else {
            fail(fmt::format("unknown option '{}'", arg));
        }
    }

    // After the loop: a --seed anywhere on the line replaces the world.
    for (auto& app : opts.world.applications)
        for (const auto& uri : extra_redirects)
            app.redirect_uris.push_back(uri);

    for (const auto& [client, url] : event_webhooks) {
        em::application* app = client ? nullptr : &opts.world.applications.front();
        for (auto& a : opts.world.applications)
            if (client && a.id == *client)
                app = &a;
        if (!app)
            fail(fmt::format("--event-webhook: no application has client id {}", *client));
        app->event_webhooks_url = url;
        app->event_webhooks_status = 2;
        app->event_webhooks_types = {"APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED", "ENTITLEMENT_CREATE",
                                     "ENTITLEMENT_UPDATE", "ENTITLEMENT_DELETE"};
    }

    try {
        asio::io_context io(1);
        em::emulator discord(io.get_executor(), opts);
        discord.start();
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](std::error_code, int) {
            discord.stop();
            io.stop();
        });
        fmt::print("{}\n", discord.ready_line());
        std::fflush(stdout);
        io.run();
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "discord-oauth2-emulator: {}\n", e.what());
        return 1;
    }
}
