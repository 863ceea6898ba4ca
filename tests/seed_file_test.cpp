#include "emulator.hpp"
#include "seed_file.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

namespace em = discord::oauth2::emulator;

TEST_CASE("the example seed file loads, and an emulator serves it")
{
    auto s = em::load_seed(EMULATOR_SOURCE_DIR "/example-seed.json");
    REQUIRE(s.users.size() == 3);
    CHECK(s.users[1].username == "björn");
    CHECK_FALSE(s.users[1].verified);
    CHECK(s.users[2].bot);
    CHECK(s.connections.at(100000000000000001ULL).size() == 2);
    CHECK(s.connections.at(100000000000000001ULL)[1].visibility == 0);
    REQUIRE(s.guilds.size() == 1);
    CHECK(s.guilds[0].members.size() == 3);
    CHECK(s.guilds[0].members.at(100000000000000002ULL).nick == "Björn");
    CHECK(s.guilds[0].members.at(100000000000000002ULL).roles == std::vector<em::snowflake>{200000000000000002ULL});
    REQUIRE(s.applications.size() == 2);
    CHECK(s.applications[0].client_secret == "engine-secret");
    CHECK(s.applications[0].bot_user_id == 100000000000000009ULL);
    CHECK(s.applications[1].public_client);
    CHECK(s.applications[1].owner_id == 100000000000000001ULL); // defaults to the first user

    asio::io_context io;
    em::options o;
    o.world = std::move(s);
    em::emulator discord(io.get_executor(), o);
    discord.start();
    auto line = discord.ready_line();
    CHECK(line.find("\"client_id\":\"300000000000000001\"") != std::string::npos);
    CHECK(line.find("\"username\":\"björn\"") != std::string::npos);
    CHECK(line.find("Analytical Bot") == std::string::npos); // bots are not users to sign in as
}

TEST_CASE("bad seeds are refused with the field that is wrong")
{
    struct bad_seed {
        const char* json;
        const char* mentions;
    };
    const bad_seed cases[] = {
        {"not json", "is not JSON"},
        {"[]", "must hold an object"},
        {R"({"users": [], "applications": []})", "users must name at least one user"},
        {R"({"users": [{"username": "x"}]})", "users[0].id is missing"},
        {R"({"users": [{"id": 5, "username": "x"}]})", "users[0].id must be a string"},
        {R"({"users": [{"id": "05", "username": "x"}]})", "users[0].id must be a snowflake"},
        {R"({"users": [{"id": "1", "username": "x"}, {"id": "1", "username": "y"}]})", "users[1].id repeats"},
        {R"({"users": [{"id": "1", "username": "x", "verified": "yes"}]})", "users[0].verified must be true or false"},
        {R"({"users": [{"id": "1", "username": "x"}], "connections": {"2": []}})", "connections.2 is not the id"},
        {R"({"users": [{"id": "1", "username": "x"}], "guilds": [{"id": "3", "name": "g", "owner_id": "9"}]})",
         "guilds[0].owner_id is not the id"},
        {R"({"users": [{"id": "1", "username": "x"}], "guilds": [{"id": "3", "name": "g", "owner_id": "1", "members": [{"user_id": "7"}]}]})",
         "guilds[0].members[0].user_id is not the id"},
        {R"({"users": [{"id": "1", "username": "x"}], "applications": [{"id": "4", "name": "a", "redirect_uris": ["http://h/cb"]}]})",
         "applications[0].client_secret must be set"},
        {R"({"users": [{"id": "1", "username": "x"}], "applications": [{"id": "4", "name": "a", "client_secret": "s", "redirect_uris": []}]})",
         "applications[0].redirect_uris must list"},
        {R"({"users": [{"id": "1", "username": "x"}], "applications": [{"id": "4", "name": "a", "client_secret": "s", "redirect_uris": ["u"], "bot_user_id": "8"}]})",
         "applications[0].bot_user_id is not the id"},
        {R"({"users": [{"id": "1", "username": "x"}]})", "applications must name at least one application"},
        {R"({"users": [{"id": "1", "username": "x"}], "applications": [{"id": "4", "name": "a", "client_secret": "s", "redirect_uris": ["u"], "verify_key": "ab"}]})",
         "applications[0].verify_key comes from signing_key"},
        {R"({"users": [{"id": "1", "username": "x"}], "applications": [{"id": "4", "name": "a", "client_secret": "s", "redirect_uris": ["u"], "signing_key": "zz"}]})",
         "applications[0].signing_key must be 64 hexadecimal digits"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        try {
            em::parse_seed(c.json);
            FAIL("accepted");
        } catch (const discord::oauth2::error& e) {
            CHECK(e.code() == discord::oauth2::errc::invalid_argument);
            CHECK_MESSAGE(std::string(e.what()).find(c.mentions) != std::string::npos, e.what());
        }
    }
    CHECK_THROWS_AS(em::load_seed("/nonexistent/seed.json"), discord::oauth2::error);
}

TEST_CASE("a seed's signing_key gives its application the same verify_key every run; without one, each run makes a new pair")
{
    const std::string seed_text = R"({"users": [{"id": "1", "username": "x"}], "applications": [
        {"id": "4", "name": "a", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:1/cb"],
         "signing_key": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"},
        {"id": "5", "name": "b", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:1/cb"]}]})";
    std::string fixed[2];
    std::string fresh[2];
    for (int run = 0; run < 2; ++run) {
        asio::io_context io;
        em::options o;
        o.world = em::parse_seed(seed_text);
        em::emulator discord(io.get_executor(), o);
        fixed[run] = discord.world().applications[0].verify_key;
        fresh[run] = discord.world().applications[1].verify_key;
    }
    // RFC 8032's first test vector: this private key's public key.
    CHECK(fixed[0] == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    CHECK(fixed[1] == fixed[0]);
    CHECK(fresh[0].size() == 64);
    CHECK(fresh[1] != fresh[0]);
}
