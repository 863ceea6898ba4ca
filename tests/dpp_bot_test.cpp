// examples/dpp_bot's /connections command (examples/dpp_connections_command.hpp) driven without a
// gateway: the command's own code on D++'s thread pool, against the emulator; only the reply to
// Discord is the test's, and it plays the user who opens the link.
#include "support/dpp_fixture.hpp"

#include "dpp_connections_command.hpp"

#include <mutex>

using namespace test::dpp_support;

namespace {

// The replies the command sent; the first one's link is opened as `clicks_as`.
struct conversation {
    fixture& f;
    snowflake clicks_as;
    std::mutex mutex;
    std::vector<std::string> replies;

    example::reply_function reply()
    {
        return [this](std::string text) -> dpp::task<void> {
            bool first = false;
            {
                std::lock_guard lock(mutex);
                replies.push_back(text);
                first = replies.size() == 1;
            }
            if (first)
                f.consent_later(text.substr(text.find("http")), clicks_as);
            co_return;
        };
    }

    // Runs the command for `user` on D++'s pool until it ends.
    void run(snowflake user)
    {
        std::promise<void> finished;
        f.on_pool([&] {
            [](conversation& c, snowflake user, std::promise<void>& finished) -> dpp::job {
                try {
                    co_await example::connections_command(c.f.on_io, c.f.web, c.f.client, user, c.reply());
                    finished.set_value();
                } catch (...) {
                    finished.set_exception(std::current_exception());
                }
            }(*this, user, finished);
        }, finished.get_future());
    }
};

} // namespace

TEST_CASE("/connections: the link, then the count and the first connection, and the grant revoked")
{
    fixture f;
    conversation c{f, nelly};
    c.run(nelly);
    REQUIRE(c.replies.size() == 2);
    CHECK(c.replies[0].starts_with("Please authorize within a minute: http://127.0.0.1:"));
    CHECK(c.replies[0].find("scope=identify%20connections") != std::string::npos);
    CHECK(c.replies[1] == "5 total connections. First connection username: nellycodes");
    // Revoked: the web server keeps no grant for Nelly, and the emulator knows the token no more.
    CHECK_FALSE(f.web.async_access_token_for(nelly, asio::use_future).get());
}

TEST_CASE("/connections authorized from another Discord account: 'Not authorized', nothing kept")
{
    fixture f;
    conversation c{f, xiao}; // the link was made for Nelly; Xiao opens it
    c.run(nelly);
    REQUIRE(c.replies.size() == 2);
    CHECK(c.replies[1].starts_with("Not authorized: "));
    CHECK_FALSE(f.web.async_access_token_for(nelly, asio::use_future).get());
    CHECK_FALSE(f.web.async_access_token_for(xiao, asio::use_future).get());
}

TEST_CASE("/connections when Discord fails: the reply says what failed, the grant is still revoked")
{
    fixture f;
    f.discord.add_fault(em::fault::parse("GET /users/@me/connections status=500"));
    conversation c{f, nelly};
    c.run(nelly);
    REQUIRE(c.replies.size() == 2);
    INFO(c.replies[1]);
    CHECK(c.replies[1].starts_with("Could not read your connections: Discord refused GET /users/@me/connections"));
    CHECK(c.replies[1].find("500") != std::string::npos);
    CHECK_FALSE(f.web.async_access_token_for(nelly, asio::use_future).get());
}
