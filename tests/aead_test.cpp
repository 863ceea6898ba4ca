// AES-256-GCM as the library uses it: what seals opens only with the same key and associated
// data, and any change to the sealed bytes is refused.
#include "core/aead.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace aead = discord::oauth2::aead;

namespace {

const std::string key(32, 'k');
const std::string other_key(32, 'o');

} // namespace

TEST_CASE("sealed values open with the same key and associated data, each seal different")
{
    auto a = aead::seal(key, "refresh-token-bytes", "user 42");
    auto b = aead::seal(key, "refresh-token-bytes", "user 42");
    CHECK(a.size() == std::string("refresh-token-bytes").size() + aead::overhead);
    CHECK(a != b); // a fresh IV every time
    CHECK(aead::open(key, a, "user 42") == "refresh-token-bytes");
    CHECK(aead::open(key, b, "user 42") == "refresh-token-bytes");
    CHECK(aead::open(key, aead::seal(key, "", ""), "") == "");
}

TEST_CASE("another key, other associated data, or any changed byte: nothing opens")
{
    auto sealed = aead::seal(key, "secret", "user 42");
    CHECK_FALSE(aead::open(other_key, sealed, "user 42"));
    CHECK_FALSE(aead::open(key, sealed, "user 43"));
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        auto changed = sealed;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        CAPTURE(i);
        CHECK_FALSE(aead::open(key, changed, "user 42"));
    }
    CHECK_FALSE(aead::open(key, sealed.substr(0, sealed.size() - 1), "user 42"));
    CHECK_FALSE(aead::open(key, sealed + "x", "user 42"));
    CHECK_FALSE(aead::open(key, "", "user 42"));
    CHECK_FALSE(aead::open(key, std::string(aead::overhead - 1, '\0'), "user 42"));
}

TEST_CASE("a key that is not 32 bytes is an error, not a weaker cipher")
{
    CHECK_THROWS_AS((void)aead::seal(std::string(16, 'k'), "x", ""), discord::oauth2::error);
    CHECK_FALSE(aead::open(std::string(16, 'k'), aead::seal(key, "x", ""), ""));
}
