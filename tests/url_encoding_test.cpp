#include "core/url_encoding.hpp"

#include <doctest/doctest.h>

namespace url = discord::oauth2::url;

TEST_CASE("percent_decode accepts valid escapes and rejects malformed ones")
{
    CHECK(url::percent_decode("a%20b%2Fc") == "a b/c");
    CHECK(url::percent_decode("%e2%9c%93") == "\xe2\x9c\x93");
    CHECK(url::percent_decode("a+b") == "a+b");
    CHECK(url::percent_decode("a+b", true) == "a b");
    CHECK(url::percent_decode("") == "");
    CHECK_FALSE(url::percent_decode("%"));
    CHECK_FALSE(url::percent_decode("%4"));
    CHECK_FALSE(url::percent_decode("abc%"));
    CHECK_FALSE(url::percent_decode("%g0"));
    CHECK_FALSE(url::percent_decode("%0g"));
    CHECK_FALSE(url::percent_decode("%00"));
    CHECK_FALSE(url::percent_decode(std::string_view("a\0b", 3)));
}

TEST_CASE("parse_query keeps order and duplicates and decodes both sides")
{
    auto q = url::parse_query("a=1&b=x+y&a=2&&flag&c=%3D%26");
    REQUIRE(q);
    REQUIRE(q->size() == 5);
    CHECK((*q)[0] == std::pair<std::string, std::string>{"a", "1"});
    CHECK((*q)[1].second == "x y");
    CHECK((*q)[2].second == "2");
    CHECK((*q)[3] == std::pair<std::string, std::string>{"flag", ""});
    CHECK((*q)[4].second == "=&");
    CHECK_FALSE(url::parse_query("a=%zz"));
    CHECK_FALSE(url::parse_query("%zz=1"));
    CHECK(url::parse_query("")->empty());
}

TEST_CASE("query_value finds the first parameter of a name, decoded as parse_query decodes it")
{
    CHECK(url::query_value("a=1&state=x%2By+z&state=2", "state") == "x+y z");
    CHECK(url::query_value("st%61te=encoded&state=plain", "state") == "encoded");
    CHECK(url::query_value("&&flag&b=2", "flag") == "");
    CHECK(url::query_value("a=1&b=2", "state") == std::nullopt);
    CHECK(url::query_value("", "state") == std::nullopt);
    CHECK(url::query_value("states=1&xstate=2", "state") == std::nullopt);
    CHECK(url::query_value("state=%zz", "state") == std::nullopt); // its value fails to decode
    CHECK(url::query_value("a=%zz&state=ok", "state") == "ok");    // another's is not read
    auto all = url::parse_query("client_id=1&state=abc%2D_&scope=identify+email");
    REQUIRE(all);
    for (const auto& [name, value] : *all)
        CHECK(url::query_value("client_id=1&state=abc%2D_&scope=identify+email", name) == value);
}

TEST_CASE("percent_encode leaves only unreserved characters and round-trips")
{
    CHECK(url::percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(url::percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
    std::string all;
    for (int c = 1; c < 256; ++c)
        all.push_back(static_cast<char>(c));
    CHECK(url::percent_decode(url::percent_encode(all)) == all);
    CHECK(url::encode_query({{"scope", "identify email"}, {"redirect_uri", "http://h/cb?x=1"}})
          == "scope=identify%20email&redirect_uri=http%3A%2F%2Fh%2Fcb%3Fx%3D1");
    CHECK(url::parse_query(url::encode_query({{"k", "v+w &"}}))->front().second == "v+w &");
    // Runs of unreserved characters are copied whole: escapes at either end, back to back, alone.
    CHECK(url::percent_encode("") == "");
    CHECK(url::percent_encode("/") == "%2F");
    CHECK(url::percent_encode("//ab//") == "%2F%2Fab%2F%2F");
    CHECK(url::percent_encode(std::string("a\0b", 3)) == "a%00b");
    CHECK(url::encode_query({{"", ""}, {"a", ""}, {"", "b"}}) == "=&a=&=b");
}
