#include "core/base64.hpp"

#include <doctest/doctest.h>

namespace base64 = discord::oauth2::base64;

TEST_CASE("RFC 4648 test vectors, padded and URL-safe")
{
    const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* padded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    const char* url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
        CHECK(base64::encode(plain[i]) == padded[i]);
        CHECK(base64::decode(padded[i]) == plain[i]);
        CHECK(base64::encode_url(plain[i]) == url[i]);
        CHECK(base64::decode_url(url[i]) == plain[i]);
    }
    CHECK(base64::encode("\xfb\xff") == "+/8=");
    CHECK(base64::encode_url("\xfb\xff") == "-_8");
}

TEST_CASE("decoding rejects what is not strictly base64")
{
    CHECK_FALSE(base64::decode("Zm9"));       // length
    CHECK_FALSE(base64::decode("Zm9v!A=="));  // character
    CHECK_FALSE(base64::decode("Zh=="));      // non-zero leftover bits
    CHECK_FALSE(base64::decode_url("Zm9v+A")); // standard alphabet in URL-safe text
    CHECK_FALSE(base64::decode_url("Zg=="));  // padding
    CHECK_FALSE(base64::decode_url("Z"));
    std::string all;
    for (int c = 0; c < 256; ++c)
        all.push_back(static_cast<char>(c));
    CHECK(base64::decode(base64::encode(all)) == all);
    CHECK(base64::decode_url(base64::encode_url(all)) == all);
}

TEST_CASE("every length round-trips, and a bad character anywhere is refused")
{
    std::string bytes;
    for (int n = 0; n < 40; ++n) {
        CHECK(base64::decode(base64::encode(bytes)) == bytes);
        CHECK(base64::decode_url(base64::encode_url(bytes)) == bytes);
        auto url = base64::encode_url(bytes);
        for (std::size_t at = 0; at < url.size(); ++at) {
            auto bad = url;
            bad[at] = '.';
            CHECK_FALSE(base64::decode_url(bad));
        }
        bytes.push_back(static_cast<char>(0xA5 ^ (n * 37)));
    }
    // Leftover bits in the last character, for both short tails.
    CHECK_FALSE(base64::decode_url("Zh"));  // one byte and 4 leftover bits set
    CHECK_FALSE(base64::decode_url("Zm9")); // two bytes and 2 leftover bits set
    CHECK(base64::decode_url("Zm8") == "fo");
}
