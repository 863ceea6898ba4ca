// `discord-oauth2 serve`: the sidecar for bots in any language (docs/serve.md). It runs the
// callback web server with auto refresh (and the events endpoint and the linked roles path when
// configured) over the grant store, prints one JSON line when ready and one per event, answers
// the bot on its control interface, and stops gracefully on SIGTERM or SIGINT.
#include "serve.hpp"

#include <asio/ip/address.hpp>

#include "control_server.hpp"
#include "line_writer.hpp"
#include "metrics_endpoint.hpp"
#include "model_json.hpp" // iso8601

#include "core/attempt.hpp"

#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#if DISCORD_OAUTH2_HAVE_POSTGRES
#include <discord/oauth2/postgres_token_store.hpp>
#endif
#include <discord/oauth2/web_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace cli {
namespace {

namespace server = oauth2::server;
using oauth2::json::writer;

// One event as one line of JSON: who, what, why; never a token.
std::string event_line(const oauth2::event& e)
{
    writer w;
    w.begin_object().field("event", oauth2::to_string(e.kind));
    if (e.user_id != oauth2::snowflake{})
        w.field("user_id", e.user_id.to_string());
    if (e.claims && !e.claims->flow.empty())
        w.field("flow", e.claims->flow);
    if (e.token) {
        w.key("scopes").begin_array();
        for (const auto& s : e.token->scopes)
            w.value(s);
        w.end_array().field("expires_at", iso8601(e.token->expires_at));
    }
    if (!e.where.empty())
        w.field("where", e.where);
    if (e.code)
        w.field("code", e.code.message());
    if (!e.message.empty())
        w.field("message", e.message);
    if (e.kind == oauth2::event_kind::events_missed)
        w.field("missed", e.missed);
    if (const auto& a = e.application) {
        w.key("application").begin_object().field("type", a->type).field("timestamp", iso8601(a->timestamp));
        if (a->integration_type)
            w.field("integration_type", *a->integration_type);
        if (!a->scopes.empty()) {
            w.key("scopes").begin_array();
            for (const auto& s : a->scopes)
                w.value(s);
            w.end_array();
        }
        if (a->guild_id)
            w.field("guild_id", a->guild_id->to_string());
        if (a->entitlement)
            w.field("entitlement_id", a->entitlement->id.to_string()).field("sku_id", a->entitlement->sku_id.to_string());
        if (!a->data_json.empty())
            w.key("data").raw(a->data_json);
        w.end_object();
    }
    w.end_object();
    return w.take();
}

server::response problem(int status, std::string_view error, std::string_view message)
{
    writer w;
    w.begin_object().field("error", error).field("message", message).end_object();
    return server::response::json(status, w.take());
}

// A failure of the library as the control interface answers it.
server::response failure(const oauth2::error& e)
{
    auto code = e.code();
    if (code == oauth2::errc::no_grant)
        return problem(404, "no_grant", e.what());
    if (code == oauth2::errc::invalid_argument || code == oauth2::errc::too_many_pending)
        return problem(400, "invalid_argument", e.what());
    // The grant is sealed under a store key this instance's ring lacks: its operator's to mend
    // (the message names the key id); the grant is left as it is.
    if (code == oauth2::errc::wrong_store_key)
        return problem(500, "wrong_store_key", e.what());
    return problem(502, "failed", e.what());
}

std::optional<oauth2::snowflake> user_of(const server::request& req)
{
    auto text = req.path_param("user").value_or("");
    auto id = oauth2::snowflake::parse(text);
    if (!id || *id == oauth2::snowflake{})
        return std::nullopt;
    return id;
}

struct sidecar {
    oauth2::web_server& web;
    oauth2::client& discord;
    std::vector<std::string> default_scopes;

    // POST /link {"user_id": "...", "scopes": [...], "prompt": "consent"|"none"}
    asio::awaitable<server::response> link(server::request& req)
    {
        simdjson::dom::parser parser;
        simdjson::dom::object body;
        if (parser.parse(simdjson::padded_string(req.body)).get(body))
            co_return problem(400, "invalid_argument", "the body must be a JSON object with user_id");
        std::string_view user_text;
        if (body["user_id"].get(user_text))
            co_return problem(400, "invalid_argument", "user_id (a snowflake as a string) is required");
        auto user = oauth2::snowflake::parse(user_text);
        if (!user || *user == oauth2::snowflake{})
            co_return problem(400, "invalid_argument", "user_id is not a snowflake");
        std::vector<std::string> scopes = default_scopes;
        if (simdjson::dom::array list; !body["scopes"].get(list)) {
            scopes.clear();
            for (auto s : list) {
                std::string_view text;
                if (s.get(text))
                    co_return problem(400, "invalid_argument", "scopes must be strings");
                scopes.emplace_back(text);
            }
        }
        oauth2::authorization_options options;
        if (std::string_view prompt; !body["prompt"].get(prompt))
            options.prompt = std::string(prompt);
        std::vector<std::string_view> views(scopes.begin(), scopes.end());
        try {
            auto url = web.authorization_url(*user, views, options);
            writer w;
            w.begin_object().field("url", url).field("user_id", user->to_string()).end_object();
            co_return server::response::json(200, w.take());
        } catch (const oauth2::error& e) {
            co_return failure(e);
        }
    }

    // GET /grants/{user}/token: a token good for a while, refreshed first when needed.
    asio::awaitable<server::response> token(server::request& req)
    {
        auto user = user_of(req);
        if (!user)
            co_return problem(400, "invalid_argument", "the path names no user id");
        auto fresh = co_await oauth2::core::attempt(web.fresh_access_token(*user));
        if (fresh.failure)
            co_return failure(*fresh.failure);
        const auto& t = *fresh.value;
        writer w;
        w.begin_object()
            .field("user_id", user->to_string())
            .field("access_token", t.token.reveal())
            .field("token_type", t.token_type)
            .field("expires_at", iso8601(t.expires_at));
        w.key("scopes").begin_array();
        for (const auto& s : t.scopes)
            w.value(s);
        w.end_array().end_object();
        co_return server::response::json(200, w.take());
    }

    // PUT /grants/{user}/role-connection {"platform_name", "platform_username", "metadata": {}}
    asio::awaitable<server::response> role_connection(server::request& req)
    {
        auto user = user_of(req);
        if (!user)
            co_return problem(400, "invalid_argument", "the path names no user id");
        simdjson::dom::parser parser;
        simdjson::dom::object body;
        if (parser.parse(simdjson::padded_string(req.body)).get(body))
            co_return problem(400, "invalid_argument", "the body must be a JSON object");
        oauth2::role_connection rc;
        if (std::string_view t; !body["platform_name"].get(t))
            rc.platform_name = std::string(t);
        if (std::string_view t; !body["platform_username"].get(t))
            rc.platform_username = std::string(t);
        if (simdjson::dom::object metadata; !body["metadata"].get(metadata))
            for (auto [k, v] : metadata) {
                std::string_view text;
                std::int64_t number = 0;
                if (!v.get(text))
                    rc.metadata[std::string(k)] = std::string(text);
                else if (!v.get(number))
                    rc.metadata[std::string(k)] = std::to_string(number);
                else
                    co_return problem(400, "invalid_argument", "metadata values are strings or integers");
            }
        auto fresh = co_await oauth2::core::attempt(web.fresh_access_token(*user));
        if (fresh.failure)
            co_return failure(*fresh.failure);
        auto pushed = co_await oauth2::core::attempt(discord.update_role_connection(*fresh.value, rc));
        if (pushed.failure)
            co_return failure(*pushed.failure);
        const auto& stored = *pushed.value;
        writer w;
        w.begin_object().field("user_id", user->to_string());
        w.key("platform_name").value_or_null(stored.platform_name);
        w.key("platform_username").value_or_null(stored.platform_username);
        w.key("metadata").begin_object();
        for (const auto& [k, v] : stored.metadata)
            w.field(k, v);
        w.end_object().end_object();
        co_return server::response::json(200, w.take());
    }

    // DELETE /grants/{user}: revoked at Discord and removed.
    asio::awaitable<server::response> revoke(server::request& req)
    {
        auto user = user_of(req);
        if (!user)
            co_return problem(400, "invalid_argument", "the path names no user id");
        auto revoked = co_await oauth2::core::attempt(web.revoke_access_token(*user));
        if (revoked.failure)
            co_return failure(*revoked.failure);
        auto r = *revoked.value;
        auto name = r == oauth2::revocation::revoked ? "revoked" : r == oauth2::revocation::forgotten ? "forgotten" : "no_grant";
        writer w;
        w.begin_object().field("user_id", user->to_string()).field("revocation", name).end_object();
        co_return server::response::json(200, w.take());
    }
};

control_options control_settings(const invocation& in)
{
    control_options o;
    auto where = setting(in.args, in.env, "control");
    if (!where) {
        const char* runtime = std::getenv("XDG_RUNTIME_DIR");
        where = std::string("unix:") + (runtime && *runtime ? std::string(runtime) + "/" : "") + "discord-oauth2.sock";
    }
    if (where->starts_with("unix:")) {
        o.unix_path = where->substr(5);
        if (o.unix_path.empty())
            throw usage_error("--control unix: needs a path");
        return o;
    }
    if (!where->starts_with("http://"))
        throw usage_error("--control takes unix:PATH or http://127.0.0.1:PORT");
    auto rest = where->substr(7);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos)
        throw usage_error("--control http:// needs a port: http://127.0.0.1:PORT");
    o.tcp_address = rest.substr(0, colon);
    if (o.tcp_address.size() > 2 && o.tcp_address.front() == '[' && o.tcp_address.back() == ']')
        o.tcp_address = o.tcp_address.substr(1, o.tcp_address.size() - 2);
    unsigned port = 0;
    auto digits = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535)
        throw usage_error("--control http:// needs a port from 0 to 65535");
    o.tcp_port = static_cast<std::uint16_t>(port);
    auto key_file = setting(in.args, in.env, "control-key-file");
    if (!key_file)
        throw usage_error("a control port needs --control-key-file F (or DISCORD_CONTROL_KEY_FILE): the key every request must bear");
    o.bearer_keys = read_control_keys(*key_file);
    return o;
}

// What a SIGHUP reloads: each key file serve was given, and what uses it.
struct reload_targets {
    std::optional<std::string> state_file, store_file, control_file;
    oauth2::web_server* web = nullptr;
    std::shared_ptr<oauth2::token_store> store;
    control_server* control = nullptr;
};

std::string error_line(std::string_view message)
{
    writer w;
    w.begin_object().field("event", "error").field("where", "keys").field("message", message).end_object();
    return w.take();
}

// The reload loop's end, shared with its completion handler: serve_command may be gone by then
// (an exception between the spawn and the end), and a stop must end the loop even when a reload
// is under way (a PostgreSQL round trip) rather than only when a SIGHUP wait is pending.
struct reload_loop_state {
    explicit reload_loop_state(asio::any_io_executor ex) : ended(ex, asio::steady_timer::time_point::max()) {}
    bool stopping = false;
    bool done = false;
    asio::steady_timer ended; // cancelled when the loop has returned
};

// The ids of a ring's keys, the one that seals first.
template <class Ring>
std::vector<std::string> ids_of(const Ring& ring)
{
    std::vector<std::string> ids;
    for (const auto& key : ring.keys())
        ids.push_back(key.id_text());
    return ids;
}

void write_ids(writer& w, std::string_view name, const std::vector<std::string>& ids)
{
    w.key(name).begin_array();
    for (const auto& id : ids)
        w.value(id);
    w.end_array();
}

// On each SIGHUP, every key file read again and handed to what uses it (a key rotation without a
// restart); a file that cannot be read, or a ring that does not open the store, keeps the keys in
// use and prints an error line; then a keys_reloaded line names the ids of every key, the one that
// seals first, so that an operator can check each instance before the rotation's next step.
asio::awaitable<void> reload_keys_on_hangup(asio::signal_set& hangups, reload_targets& t, line_writer& out,
                                            std::shared_ptr<reload_loop_state> loop)
{
    for (;;) {
        constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
        auto [ec, number] = co_await hangups.async_wait(use_tuple);
        (void)number;
        if (ec || loop->stopping)
            co_return;
        writer done;
        done.begin_object().field("event", "keys_reloaded");
        bool failed = false;
        if (t.state_file) {
            try {
                auto ring = oauth2::state_key_ring::from_file(*t.state_file);
                write_ids(done, "state_keys", ids_of(ring));
                t.web->set_keys(std::move(ring));
            } catch (const std::exception& e) {
                out.write(error_line(e.what()));
                failed = true;
            }
        }
        if (t.store_file && t.store) {
            try {
                auto ring = oauth2::store_key_ring::from_file(*t.store_file);
                auto ids = ids_of(ring);
                co_await set_store_keys(*t.store, std::move(ring));
                if (loop->stopping)
                    co_return; // stopped meanwhile: the store is going, and so are the lines
                write_ids(done, "store_keys", ids);
            } catch (const std::exception& e) {
                if (loop->stopping)
                    co_return;
                out.write(error_line(e.what()));
                failed = true;
            }
        }
        if (t.control_file && t.control) {
            try {
                auto keys = read_control_keys(*t.control_file);
                done.field("control_keys", static_cast<std::uint64_t>(keys.size()));
                t.control->set_keys(std::move(keys));
            } catch (const std::exception& e) {
                out.write(error_line(e.what()));
                failed = true;
            }
        }
        done.field("complete", !failed).end_object();
        out.write(done.take());
    }
}

// A count option such as --exchanges-per-second: a whole number, 0 for no limit; `fallback`
// when absent.
std::size_t count_option(const arguments& args, std::string_view name, std::size_t fallback)
{
    auto text = args.value(name);
    if (!text)
        return fallback;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size())
        throw usage_error(fmt::format("--{} takes a whole number (0: no limit)", name));
    return n;
}

// What an awaited operation ended with, when it ended before its deadline.
template <class T>
struct deadline_race {
    explicit deadline_race(asio::any_io_executor ex) : done(std::move(ex), asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;
    std::optional<T> value;
    std::string failure;
    bool finished = false;
};

// Runs `operation` and waits for it at most `limit`: the answer, or why there is none (the
// failure's kind, never its text: a store's error may name hosts, users and paths, and a probe
// is anyone's on the port). An operation that outlives the wait runs on and is ignored; what it
// works on is kept alive by `keep` until it ends.
template <class T>
asio::awaitable<std::pair<std::optional<T>, std::string>> within(asio::awaitable<T> operation,
                                                                 std::chrono::milliseconds limit,
                                                                 std::shared_ptr<void> keep)
{
    auto ex = co_await asio::this_coro::executor;
    auto race = std::make_shared<deadline_race<T>>(ex);
    asio::co_spawn(ex, std::move(operation), [race, keep = std::move(keep)](std::exception_ptr e, T value) {
        race->finished = true;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const oauth2::error& failure) {
                race->failure = failure.code().message();
            } catch (const std::system_error& failure) {
                race->failure = failure.code().message();
            } catch (...) {
                race->failure = "it failed";
            }
        } else {
            race->value = std::move(value);
        }
        race->done.cancel();
    });
    if (!race->finished) {
        race->done.expires_after(limit);
        std::error_code ignored;
        co_await race->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (!race->finished)
        co_return std::pair{std::optional<T>{}, fmt::format("no answer within {} ms", limit.count())};
    co_return std::pair{std::move(race->value), race->failure};
}

asio::awaitable<bool> connects(asio::ip::tcp::endpoint to)
{
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(to, asio::use_awaitable);
    std::error_code ignored;
    socket.close(ignored);
    co_return true;
}

// Ready: the callback listener takes a connection and the store answers a query (counting
// its grants, which the metrics show). Each within 2 s: a readiness probe must not hang.
asio::awaitable<readiness> check_ready(oauth2::web_server& web, std::shared_ptr<oauth2::token_store> store,
                                       std::string listen_address, std::shared_ptr<oauth2::metrics_observer> observer)
{
    readiness r;
    std::error_code ec;
    auto address = asio::ip::make_address(listen_address, ec);
    if (ec || address.is_unspecified())
        address = asio::ip::address_v4::loopback();
    // Named: no braced temporary inside a co_await expression (g++ 12, docs/compilers.md).
    asio::ip::tcp::endpoint listener(address, web.port());
    constexpr std::chrono::milliseconds patience(2000);
    auto listening = co_await within(connects(listener), patience, nullptr);
    auto counted = co_await within(store->count(), patience, store);
    if (observer) {
        observer->store_reachable(counted.first.has_value());
        if (counted.first)
            observer->grants_counted(*counted.first);
    }
    if (!listening.first)
        r.reason = "the callback listener does not accept connections: " + listening.second;
    else if (!counted.first)
        r.reason = "the token store does not answer: " + counted.second;
    r.ready = r.reason.empty();
    co_return r;
}

std::string origin_of(const std::string& url)
{
    auto scheme_end = url.find("//");
    return url.substr(0, url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 2));
}

} // namespace

asio::awaitable<std::string> serve_command(invocation& in)
{
    if (in.client.config().redirect_uri.empty())
        throw usage_error("serve needs the redirect URI: pass --redirect-uri or set DISCORD_REDIRECT_URI");
    // Read before anything opens: a mistake in it is a usage error, not a half-started serve.
    std::optional<metrics_endpoint_options> metrics_options;
    if (auto where = setting(in.args, in.env, "metrics"))
        metrics_options = metrics_address(*where);
    auto executor = co_await asio::this_coro::executor;
    // Taken first: a SIGHUP while the store opens and the servers start waits for the reload
    // loop instead of ending the process (SIGHUP's default).
    asio::signal_set hangups(executor, SIGHUP);

    oauth2::web_server_config config;
    config.store = co_await grant_store(in.args, in.env);
    // Without --store the grants live in memory: made here rather than by the web server, so
    // that the readiness check asks the store the web server uses.
    bool store_given = config.store != nullptr;
    if (!store_given)
        config.store = std::make_shared<oauth2::memory_token_store>();
#if DISCORD_OAUTH2_HAVE_POSTGRES
    if (auto shared = std::dynamic_pointer_cast<oauth2::postgres_token_store>(config.store)) {
        // Several serve processes over one database are one bot: they share the cluster, and
        // each must open the others' states.
        config.cluster = shared;
        auto state_key_file = setting(in.args, in.env, "state-key-file");
        if (!state_key_file)
            throw usage_error("serve over PostgreSQL needs --state-key-file F (or DISCORD_STATE_KEY_FILE): the key every "
                              "instance seals its links with");
        config.key = oauth2::state_key_ring::from_file(*state_key_file);
    } else
#endif
    if (auto state_key_file = setting(in.args, in.env, "state-key-file")) {
        config.key = oauth2::state_key_ring::from_file(*state_key_file);
    }
    config.auto_refresh = oauth2::refresher_config{};
    // How long a link stays valid (the web server's state_lifetime); whole seconds, as states are sealed.
    auto lifetime = duration_option(in.args, "link-lifetime", config.state_lifetime);
    if (lifetime < std::chrono::seconds(1) || lifetime % std::chrono::seconds(1) != std::chrono::milliseconds(0))
        throw usage_error("--link-lifetime takes whole seconds, at least 1s (e.g. 10m or 90s)");
    config.state_lifetime = std::chrono::duration_cast<std::chrono::seconds>(lifetime);
    if (auto port = in.args.value("port")) {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), n);
        if (ec != std::errc() || end != port->data() + port->size() || n > 65535)
            throw usage_error("--port takes a port from 0 to 65535");
        config.port = static_cast<std::uint16_t>(n);
    }
    // A reverse proxy in front: exempt from the per-peer connection cap, and its X-Forwarded-For
    // names the client for the per-client limits (docs/deployment.md).
    for (const auto& proxy : in.args.list("trusted-proxy")) {
        std::error_code ec;
        (void)asio::ip::make_address(proxy, ec);
        if (ec)
            throw usage_error("--trusted-proxy takes literal IP addresses (127.0.0.1, ::1, 10.0.0.5), not '" + proxy + "'");
        config.limits.trusted_proxies.push_back(proxy);
    }
    // Code exchanges per client and in all, before a callback's state is spent: a real crowd
    // behind one address (a campus NAT), or a bot busier than the defaults, raises them.
    config.exchanges_per_minute_per_client =
        count_option(in.args, "exchanges-per-minute-per-client", config.exchanges_per_minute_per_client);
    config.exchanges_per_second = count_option(in.args, "exchanges-per-second", config.exchanges_per_second);
    if (auto key = setting(in.args, in.env, "public-key")) {
        config.verify_key = *key;
        config.events_path = in.args.value("events-path").value_or("/discord/events");
    } else if (in.args.has("events-path")) {
        throw usage_error("--events-path needs the application's public key: --public-key HEX or DISCORD_PUBLIC_KEY");
    }
    if (auto path = in.args.value("linked-roles-path")) {
        // The bot decides the role connection: it hears the authorization (an
        // authorization_code_exchanged line with "flow": "linked_roles") and answers with
        // PUT /grants/{user}/role-connection on the control interface.
        config.linked_roles_path = *path;
        config.linked_roles_hook = [](const oauth2::user&, const oauth2::access_token&)
            -> asio::awaitable<std::optional<oauth2::role_connection>> { co_return std::nullopt; };
    }

    // Event lines never stall the I/O thread, whether the bot reads them or not; a bot that has
    // gone (a closed pipe) is no reason to die of SIGPIPE either.
    std::signal(SIGPIPE, SIG_IGN);
    line_writer out(STDOUT_FILENO);
    oauth2::web_server web(executor, in.client, config);
    web.start();
    auto scopes = in.args.list("scope");
    if (scopes.empty())
        scopes = {"identify"};
    auto state = std::make_shared<sidecar>(sidecar{web, in.client, scopes});
    std::vector<control_route> routes{
        {"POST", "/link", [state](server::request& req) { return state->link(req); }},
        {"GET", "/grants/{user}/token", [state](server::request& req) { return state->token(req); }},
        {"PUT", "/grants/{user}/role-connection", [state](server::request& req) { return state->role_connection(req); }},
        {"DELETE", "/grants/{user}", [state](server::request& req) { return state->revoke(req); }},
    };
    // The operator's endpoint: metrics, liveness and readiness (docs/operations.md).
    std::optional<metrics_endpoint> operator_endpoint;
    if (metrics_options) {
        auto options = std::move(*metrics_options);
        options.exposition = in.metrics_exposition;
        // Not a coroutine: the check's coroutine takes copies, never the lambda's captures.
        options.check = [&web, store = config.store, observer = in.client.config().metrics, &client = in.client,
                         listen = config.listen_address]() {
            (void)client.invalid_requests_in_window(); // the window's gauge falls to 0 when it ends
            return check_ready(web, store, listen, observer);
        };
        operator_endpoint.emplace(executor, std::move(options));
        operator_endpoint->start();
    }
    auto control_options = control_settings(in);
    bool control_tcp = control_options.unix_path.empty();
    control_server control(executor, std::move(routes), std::move(control_options));
    control.start();

    // SIGHUP: the key files read again (docs/serve.md, "Rotating keys").
    reload_targets reload;
    reload.state_file = setting(in.args, in.env, "state-key-file");
    if (store_given)
        reload.store_file = setting(in.args, in.env, "store-key-file");
    if (control_tcp)
        reload.control_file = setting(in.args, in.env, "control-key-file");
    reload.web = &web;
    reload.store = config.store;
    reload.control = &control;
    auto reload_loop = std::make_shared<reload_loop_state>(executor);
    asio::co_spawn(executor, reload_keys_on_hangup(hangups, reload, out, reload_loop), [reload_loop](std::exception_ptr) {
        reload_loop->done = true;
        reload_loop->ended.cancel();
    });
    // Whatever way serve_command leaves, the loop ends before what it uses does.
    struct end_reloads {
        asio::signal_set& hangups;
        reload_loop_state& loop;
        ~end_reloads()
        {
            loop.stopping = true;
            std::error_code ignored;
            hangups.cancel(ignored);
        }
    } reloads_end_first{hangups, *reload_loop};

    // Every event, from the first: subscribed before the ready line is printed.
    auto events = web.events();
    auto origin = origin_of(in.client.config().redirect_uri);
    writer ready;
    ready.begin_object().field("callback_url", in.client.config().redirect_uri);
    ready.key("events_url");
    if (config.events_path.empty())
        ready.null();
    else
        ready.value(origin + config.events_path);
    ready.key("linked_roles_url");
    if (config.linked_roles_path.empty())
        ready.null();
    else
        ready.value(origin + config.linked_roles_path);
    ready.field("control", control.where());
    ready.key("metrics_url");
    if (operator_endpoint)
        ready.value(operator_endpoint->where() + "/metrics");
    else
        ready.null();
    ready.end_object();
    out.write(ready.take());

    // SIGTERM or SIGINT: the control interface closes and the web server stops gracefully, which
    // ends the event stream below; the stop is awaited before `web` goes out of scope.
    asio::signal_set signals(executor, SIGTERM, SIGINT);
    asio::steady_timer stopped(executor, asio::steady_timer::time_point::max()); // cancelled: the stop is done
    bool stopping = false;
    bool stop_done = false;
    signals.async_wait([&](std::error_code ec, int) {
        if (ec)
            return;
        stopping = true;
        if (operator_endpoint)
            operator_endpoint->stopping();
        control.stop();
        asio::co_spawn(executor, web.stop(std::chrono::seconds(5)), [&](std::exception_ptr) {
            stop_done = true;
            stopped.cancel();
        });
    });
    while (auto e = co_await events.next())
        out.write(event_line(*e));
    control.stop();
    if (operator_endpoint)
        operator_endpoint->stop();
    reload_loop->stopping = true;
    std::error_code cancelled;
    hangups.cancel(cancelled);
    if (!reload_loop->done) {
        std::error_code ignored;
        co_await reload_loop->ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (stopping && !stop_done) {
        std::error_code ignored;
        co_await stopped.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return std::string();
}

} // namespace cli
