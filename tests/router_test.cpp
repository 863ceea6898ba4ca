#include "server/router.hpp"

#include <doctest/doctest.h>

namespace srv = discord::oauth2::server;

namespace {

srv::handler answer(int status)
{
    return [status](srv::request&) -> asio::awaitable<srv::response> { co_return srv::response::plain(status); };
}

srv::request make(std::string method, std::string path)
{
    srv::request r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
}

} // namespace

TEST_CASE("routes match by method and exact path, with placeholders")
{
    srv::router r;
    r.add("GET", "/", answer(200));
    r.add("GET", "/api/v10/users/@me", answer(200));
    r.add("PUT", "/api/v10/guilds/{guild}/members/{user}", answer(201));
    r.add("DELETE", "/api/v10/guilds/{guild}/members/{user}", answer(204));

    auto root = make("GET", "/");
    CHECK(r.find(root).target != nullptr);

    auto me = make("GET", "/api/v10/users/@me");
    CHECK(r.find(me).target != nullptr);

    auto put = make("PUT", "/api/v10/guilds/1/members/2");
    auto m = r.find(put);
    REQUIRE(m.target != nullptr);
    CHECK(put.path_param("guild") == "1");
    CHECK(put.path_param("user") == "2");

    auto missing = make("GET", "/api/v10/users/@me/");
    CHECK(r.find(missing).status == 404);
    auto empty_segment = make("PUT", "/api/v10/guilds//members/2");
    CHECK(r.find(empty_segment).status == 404);
    auto longer = make("GET", "/api/v10/users/@me/guilds");
    CHECK(r.find(longer).status == 404);
}

TEST_CASE("a known path with another method is 405 with every allowed method")
{
    srv::router r;
    r.add("GET", "/token", answer(200));
    r.add("POST", "/token", answer(200));
    r.add("PUT", "/things/{id}", answer(200));

    auto patch = make("PATCH", "/token");
    auto m = r.find(patch);
    CHECK(m.status == 405);
    CHECK(m.target == nullptr);
    CHECK(m.allow == "GET, HEAD, POST");

    auto head = make("HEAD", "/token");
    CHECK(r.find(head).target != nullptr); // GET answers HEAD

    auto get_thing = make("GET", "/things/9");
    CHECK(r.find(get_thing).allow == "PUT");
}
