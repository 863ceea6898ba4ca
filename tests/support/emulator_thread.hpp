// The emulator on a thread of its own, for tests whose own thread blocks (on child processes,
// on pipes): auto-approving, without rate limits.
#pragma once

#include "emulator.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace test {

struct emulator_thread {
    asio::io_context io;
    discord::oauth2::emulator::emulator discord;
    std::thread runner;

    /// `extra_users`: ids of users added to the default world (tests that need many accounts).
    explicit emulator_thread(std::chrono::seconds token_ttl = std::chrono::seconds(604800),
                             const std::vector<std::uint64_t>& extra_users = {})
        : discord(io.get_executor(), options(token_ttl, extra_users))
    {
        discord.start();
        runner = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~emulator_thread()
    {
        asio::post(io, [this] {
            discord.stop();
            io.stop();
        });
        runner.join();
    }
    emulator_thread(const emulator_thread&) = delete;
    emulator_thread& operator=(const emulator_thread&) = delete;

    static discord::oauth2::emulator::options options(std::chrono::seconds token_ttl,
                                                      const std::vector<std::uint64_t>& extra_users)
    {
        discord::oauth2::emulator::options o;
        o.auto_approve = true;
        o.rate_limits.enabled = false;
        o.token_ttl = token_ttl;
        for (auto id : extra_users) {
            auto& u = o.world.users.emplace_back();
            u.id = id;
            u.username = "user" + std::to_string(id);
            u.email = u.username + "@example.com";
        }
        return o;
    }

    /// Runs `f` on the emulator's thread and returns its result.
    template <class F>
    auto on_thread(F f) -> decltype(f())
    {
        std::promise<decltype(f())> answer;
        asio::post(io, [&] { answer.set_value(f()); });
        return answer.get_future().get();
    }

    /// Whether `refresh` is a live grant's current refresh token.
    bool is_current(const std::string& refresh)
    {
        return on_thread([&] {
            bool found = false;
            for (const auto& [id, g] : discord.grants().grants())
                found = found || g.refresh_token == refresh;
            return found;
        });
    }

    /// Requests the token endpoint answered (exchanges and refreshes).
    std::uint64_t token_calls()
    {
        return on_thread([&] { return discord.calls("POST /api/v10/oauth2/token"); });
    }
};

} // namespace test
