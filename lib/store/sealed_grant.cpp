#include "store/sealed_grant.hpp"

#include "core/aead.hpp"
#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace discord::oauth2::store {
namespace {

constexpr unsigned char row_format = 1;

std::string be64(std::uint64_t v)
{
    std::string out;
    for (int i = 7; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
    return out;
}

std::uint64_t from_be64(std::string_view s)
{
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i)
        v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}

std::string aad_for(std::uint64_t owner)
{
    return "grant" + std::string(1, static_cast<char>(row_format)) + be64(owner);
}

} // namespace

std::string seal_grant(std::string_view key, snowflake user, const access_token& token)
{
    auto plain = encode_token(token);
    std::string sealed(1, static_cast<char>(row_format));
    sealed += be64(user.value());
    sealed += aead::seal(key, plain, aad_for(user.value()));
    std::fill(plain.begin(), plain.end(), '\0');
    return sealed;
}

access_token open_grant(std::string_view key, snowflake user, std::string_view sealed)
{
    if (sealed.size() < 9 || static_cast<unsigned char>(sealed[0]) != row_format)
        throw error(errc::grant_altered, fmt::format("the stored grant of user {} is malformed", user.value()));
    auto owner = from_be64(sealed.substr(1, 8));
    if (owner != user.value())
        throw error(errc::grant_copied,
                    fmt::format("the stored grant of user {} belongs to user {}: the row was copied; refusing it",
                                user.value(), owner));
    auto plain = aead::open(key, sealed.substr(9), aad_for(owner));
    if (!plain)
        throw error(errc::grant_altered,
                    fmt::format("the stored grant of user {} failed authentication: it was altered", user.value()));
    auto token = decode_token(*plain);
    std::fill(plain->begin(), plain->end(), '\0');
    return token;
}

} // namespace discord::oauth2::store
