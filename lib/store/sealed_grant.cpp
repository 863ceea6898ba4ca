#include "store/sealed_grant.hpp"

#include "core/aead.hpp"
#include "core/key_id.hpp"
#include "core/wipe.hpp"
#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

namespace discord::oauth2::store {
namespace {

constexpr unsigned char unnamed_key_format = 1;
constexpr unsigned char row_format = 2;
constexpr std::size_t header_size = 1 + 8 + 4; // format, owner, key id

void put_be(std::string& out, std::uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
}

std::uint64_t get_be(std::string_view s, std::size_t at, std::size_t bytes)
{
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

// Format 1's associated data: "grant", the format byte and the owner.
std::string unnamed_key_aad(std::uint64_t owner)
{
    std::string aad = "grant" + std::string(1, static_cast<char>(unnamed_key_format));
    put_be(aad, owner, 8);
    return aad;
}

} // namespace

std::string seal_grant(const store_key& key, snowflake user, const access_token& token)
{
    auto plain = encode_token(token);
    std::string sealed(1, static_cast<char>(row_format));
    put_be(sealed, user.value(), 8);
    sealed += core::key_id_bytes(key.id());
    sealed += aead::seal(key.bytes().reveal(), plain, "grant" + sealed);
    core::wipe(plain.data(), plain.size());
    return sealed;
}

bool sealed_under(const store_key& key, std::string_view sealed) noexcept
{
    return sealed.size() >= header_size && static_cast<unsigned char>(sealed[0]) == row_format
        && core::key_id_from(sealed.substr(9)) == key.id();
}

access_token open_grant(const store_key_ring& keys, snowflake user, std::string_view sealed)
{
    auto format = sealed.empty() ? 0 : static_cast<unsigned char>(sealed[0]);
    if (sealed.size() < 9 || (format != row_format && format != unnamed_key_format)
        || (format == row_format && sealed.size() < header_size))
        throw error(errc::grant_altered, fmt::format("the stored grant of user {} is malformed", user.value()));
    auto owner = get_be(sealed, 1, 8);
    if (owner != user.value())
        throw error(errc::grant_copied,
                    fmt::format("the stored grant of user {} belongs to user {}: the row was copied; refusing it",
                                user.value(), owner));
    std::optional<std::string> plain;
    if (format == row_format) {
        auto id = core::key_id_from(sealed.substr(9));
        const auto* key = keys.find(id);
        if (!key)
            throw error(errc::wrong_store_key,
                        fmt::format("the stored grant of user {} is sealed under key {}, which the ring lacks (it holds "
                                    "{}): put that key back in the store key file; nothing was changed",
                                    user.value(), key_id_text(id), keys.ids_text()));
        plain = aead::open(key->bytes().reveal(), sealed.substr(header_size), "grant" + std::string(sealed.substr(0, header_size)));
    } else {
        auto aad = unnamed_key_aad(owner);
        for (const auto& key : keys.keys())
            if ((plain = aead::open(key.bytes().reveal(), sealed.substr(9), aad)))
                break;
    }
    if (!plain && format == unnamed_key_format && keys.keys().size() > 0)
        throw error(errc::grant_altered,
                    fmt::format("the stored grant of user {} opens under no key of the ring ({}): it was altered, or "
                                "sealed (before keys had ids) under a key the ring lacks",
                                user.value(), keys.ids_text()));
    if (!plain)
        throw error(errc::grant_altered,
                    fmt::format("the stored grant of user {} failed authentication: it was altered", user.value()));
    auto token = decode_token(*plain);
    core::wipe(plain->data(), plain->size());
    return token;
}

} // namespace discord::oauth2::store
