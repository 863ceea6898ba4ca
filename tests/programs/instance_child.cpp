// One instance of a bot for the multi-instance tests: a web server over a shared PostgreSQL
// database and the emulator, driven by commands on stdin, one per line, answering on stdout:
//
//   url USER                  -> "url URL" (guilds; identify is added, the link is USER's alone)
//   wait ID USER TIMEOUT_MS URL -> later "result ID OUTCOME CODE TOKEN_HASH"
//   events                    -> from now on "event KIND USER" for every event of the stream
//   fresh CALLS USER...       -> CALLS concurrent fresh_access_token, then "fresh OK FAILED"
//   stats                     -> "stats BROKEN": connections the store found broken and replaced
//   quit                      -> stops the server gracefully, exits 0
//
//   instance_child PG_URL STORE_KEY_HEX STATE_KEY_HEX API_BASE PORT
// It prints "ready PORT" once listening. Token hashes (std::hash) let the test compare tokens
// without any token on a pipe.
#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

namespace oauth2 = discord::oauth2;
using oauth2::snowflake;

namespace {

std::string from_hex(const std::string& hex)
{
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

void say(const std::string& line)
{
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

struct instance {
    asio::io_context& io;
    std::shared_ptr<oauth2::postgres_token_store> db;
    oauth2::client discord;
    oauth2::web_server web;

    instance(asio::io_context& context, std::shared_ptr<oauth2::postgres_token_store> shared,
             oauth2::client_config client_config, oauth2::web_server_config config)
        : io(context), db(std::move(shared)), discord(io.get_executor(), std::move(client_config)),
          web(io.get_executor(), discord, std::move(config))
    {
    }

    asio::awaitable<void> wait(std::string id, snowflake user, std::chrono::milliseconds timeout, std::string url)
    {
        auto r = co_await web.wait_for_access_token(user, url, timeout);
        auto hash = r.grant ? std::hash<std::string>{}(r.grant->token.token.reveal()) : 0;
        say("result " + id + " " + std::string(oauth2::to_string(r.outcome)) + " " + std::to_string(r.code.value()) + " "
            + std::to_string(hash));
    }

    asio::awaitable<void> print_events()
    {
        auto stream = web.events();
        while (auto e = co_await stream.next())
            say("event " + std::string(oauth2::to_string(e->kind)) + " " + std::to_string(e->user_id.value()));
    }

    asio::awaitable<void> fresh(int calls, std::vector<snowflake> users)
    {
        int ok = 0;
        int failed = 0;
        int done = 0;
        for (int i = 0; i < calls; ++i) {
            auto user = users[static_cast<std::size_t>(i) % users.size()];
            asio::co_spawn(io, web.fresh_access_token(user), [&](std::exception_ptr e, oauth2::access_token) {
                ++(e ? failed : ok);
                ++done;
            });
        }
        asio::steady_timer t(io);
        while (done < calls) {
            t.expires_after(std::chrono::milliseconds(2));
            co_await t.async_wait(asio::use_awaitable);
        }
        say("fresh " + std::to_string(ok) + " " + std::to_string(failed));
    }

    asio::awaitable<void> commands()
    {
        asio::posix::stream_descriptor in(io, ::dup(0));
        asio::streambuf buffer;
        for (;;) {
            std::error_code ec;
            try {
                co_await asio::async_read_until(in, buffer, '\n', asio::use_awaitable);
            } catch (const std::system_error& e) {
                ec = e.code();
            }
            if (ec)
                break; // stdin closed: the test is gone
            std::istream lines(&buffer);
            std::string line;
            std::getline(lines, line);
            std::istringstream words(line);
            std::string command;
            words >> command;
            if (command == "url") {
                std::uint64_t user = 0;
                words >> user;
                std::vector<std::string_view> scopes{"guilds"};
                say("url " + web.authorization_url(snowflake(user), scopes));
            } else if (command == "wait") {
                std::string id;
                std::uint64_t user = 0;
                long timeout = 0;
                std::string url;
                words >> id >> user >> timeout >> url;
                asio::co_spawn(io, wait(id, snowflake(user), std::chrono::milliseconds(timeout), url), asio::detached);
            } else if (command == "events") {
                asio::co_spawn(io, print_events(), asio::detached);
                say("events on");
            } else if (command == "fresh") {
                int calls = 0;
                words >> calls;
                std::vector<snowflake> users;
                std::uint64_t u = 0;
                while (words >> u)
                    users.emplace_back(u);
                asio::co_spawn(io, fresh(calls, std::move(users)), asio::detached);
            } else if (command == "stats") {
                say("stats " + std::to_string(db->broken_connections()));
            } else if (command == "quit") {
                break;
            }
        }
        co_await web.stop(std::chrono::seconds(5));
        say("bye");
    }
};

} // namespace

int main(int argc, char** argv)
{
    if (argc != 6)
        return 2;
    asio::io_context io(1);
    std::unique_ptr<instance> self;
    int status = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto store_key = oauth2::store_key::from_bytes(from_hex(argv[2]));
        auto db = co_await oauth2::postgres_token_store::open(io.get_executor(), argv[1], store_key);
        oauth2::client_config c;
        c.client_id = snowflake(159799960412356608ULL);
        c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = oauth2::endpoints::under(argv[4]);
        oauth2::web_server_config config;
        config.key = oauth2::state_key::from_bytes(from_hex(argv[3]));
        config.port = static_cast<std::uint16_t>(std::stoi(argv[5]));
        config.store = db;
        config.cluster = db;
        config.limits.max_connections_per_peer = 0; // the test's browsers all come from 127.0.0.1
        config.exchanges_per_minute_per_client = 0;  // and bring their codes as fast as it goes
        config.exchanges_per_second = 0;
        self = std::make_unique<instance>(io, db, std::move(c), std::move(config));
        self->web.start();
        asio::steady_timer t(io);
        for (int i = 0; i < 2000 && !db->listening(); ++i) { // it hears the other instances
            t.expires_after(std::chrono::milliseconds(5));
            co_await t.async_wait(asio::use_awaitable);
        }
        say("ready " + std::to_string(self->web.port()));
        co_await self->commands();
    }, [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "instance_child: %s\n", ex.what());
            }
            status = 1;
        }
    });
    io.run();
    return status;
}
