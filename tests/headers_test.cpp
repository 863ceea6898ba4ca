#include "http/headers.hpp"

#include <doctest/doctest.h>

#include <string>

using discord::oauth2::http::headers;
using discord::oauth2::http::iequals;

TEST_CASE("lookup is case-insensitive and keeps order and duplicates")
{
    headers h;
    h.add("Content-Type", "application/json");
    h.add("X-RateLimit-Remaining", "4");
    h.add("set-cookie", "a=1");
    h.add("Set-Cookie", "b=2");
    CHECK(h.size() == 4);
    CHECK(h.find("content-type") == "application/json");
    CHECK(h.find("X-RATELIMIT-REMAINING") == "4");
    CHECK(h.find("SET-COOKIE") == "a=1");
    CHECK(h.count("set-cookie") == 2);
    CHECK_FALSE(h.find("retry-after"));
    CHECK_FALSE(h.contains("content"));

    std::string joined;
    for (const auto& [name, value] : h)
        joined += std::string(name) + "=" + std::string(value) + ";";
    CHECK(joined == "Content-Type=application/json;X-RateLimit-Remaining=4;set-cookie=a=1;Set-Cookie=b=2;");
}

TEST_CASE("set replaces every field of that name; empty values are kept")
{
    headers h;
    h.add("A", "1");
    h.add("b", "2");
    h.add("a", "3");
    h.set("A", "4");
    CHECK(h.count("a") == 1);
    CHECK(h.find("a") == "4");
    CHECK(h.at(0).first == "b");
    h.add("Empty", "");
    CHECK(h.find("empty") == "");
    h.clear();
    CHECK(h.empty());
}

TEST_CASE("adding a value that points into the list itself is safe")
{
    headers h;
    h.add("Original", std::string(100, 'v'));
    for (int i = 0; i < 50; ++i) {
        auto value = *h.find("original"); // a view into h's own storage
        h.add("Copy" + std::to_string(i), value);
    }
    CHECK(h.find("copy49") == std::string(100, 'v'));
    auto self = *h.find("original");
    h.set("Original", self);
    CHECK(h.find("original") == std::string(100, 'v'));

    // A name that points into the list too: set() moves the fields it keeps.
    headers g;
    g.add("Remove-Me", "1");
    g.add("Keep", "2");
    g.add("remove-me", "3");
    g.add("Also-Kept", std::string(60, 'k'));
    auto name = g.at(0).first; // a view of g's own first name
    g.set(name, "4");
    CHECK(g.size() == 3);
    CHECK(g.count("remove-me") == 1);
    CHECK(g.find("REMOVE-ME") == "4");
    CHECK(g.find("keep") == "2");
    CHECK(g.find("also-kept") == std::string(60, 'k'));

    // A list moved from is empty.
    headers moved = std::move(g);
    CHECK(moved.size() == 3);
    CHECK(g.empty()); // NOLINT(bugprone-use-after-move): what a moved-from list says is the point
    CHECK(g.size() == 0);
    CHECK(g.begin() == g.end());
}

TEST_CASE("iequals compares ASCII letters without case and nothing else")
{
    CHECK(iequals("Content-Length", "content-length"));
    CHECK_FALSE(iequals("Content-Length", "Content-Lengt"));
    CHECK_FALSE(iequals("a", "b"));
    CHECK_FALSE(iequals("[", "{")); // differ by 0x20 but are not letters
    CHECK(iequals("", ""));
    // Eight bytes at a time: every byte of a word, and the bytes after the last whole word.
    CHECK(iequals("X-RateLimit-Reset-After", "x-ratelimit-reset-after"));
    CHECK_FALSE(iequals("x-ratelimit-reset-after", "x-ratelimit-reset-aftes"));
    CHECK_FALSE(iequals("x-ratelimit-reset-after", "y-ratelimit-reset-after"));
    CHECK(iequals("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"));
    CHECK_FALSE(iequals("@@@@@@@@", "````````")); // 0x40 and 0x60: one bit apart, no letters
    CHECK_FALSE(iequals("[\\]^_[\\]", "{|}~\x7f{|}"));
    CHECK_FALSE(iequals("\xC0\xC1\xC2\xC3\xC4\xC5\xC6\xC7", "\xE0\xE1\xE2\xE3\xE4\xE5\xE6\xE7")); // not ASCII
    CHECK(iequals("\xC0\xC1\xC2\xC3\xC4\xC5\xC6\xC7", "\xC0\xC1\xC2\xC3\xC4\xC5\xC6\xC7"));
    for (int c = 0; c < 256; ++c) // every byte against its case-flipped twin, in a word
        for (int d : {c ^ 0x20, c}) {
            std::string a(8, static_cast<char>(c));
            std::string b(8, static_cast<char>(d));
            bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            CHECK(iequals(a, b) == (c == d || letter));
        }
}
