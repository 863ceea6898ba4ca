#include "store/key_check.hpp"

#include "core/aead.hpp"
#include "core/key_id.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

namespace discord::oauth2::store {
namespace {

constexpr std::string_view plain_text = "discord-oauth2 token store";
constexpr std::string_view aad = "key-check";

} // namespace

std::string seal_key_check(const store_key& key)
{
    auto id = core::key_id_bytes(key.id());
    return id + aead::seal(key.bytes().reveal(), plain_text, std::string(aad) + id);
}

bool open_key_check(const store_key_ring& keys, std::string_view sealed)
{
    // With an id: exactly 4 bytes more than a check without one.
    if (sealed.size() == 4 + aead::overhead + plain_text.size()) {
        auto id = core::key_id_from(sealed);
        const auto* key = keys.find(id);
        auto plain = key ? aead::open(key->bytes().reveal(), sealed.substr(4), std::string(aad) + std::string(sealed.substr(0, 4)))
                         : std::nullopt;
        if (plain && *plain == plain_text)
            return key == &keys.current();
        throw error(errc::wrong_store_key,
                    fmt::format("the token store was written under store key {}, which the ring lacks (it holds {}): "
                                "give the key it was written with",
                                key_id_text(id), keys.ids_text()));
    }
    for (const auto& key : keys.keys()) {
        auto plain = aead::open(key.bytes().reveal(), sealed, aad);
        if (plain && *plain == plain_text)
            return &key == &keys.current();
    }
    throw error(errc::wrong_store_key,
                fmt::format("the token store was written with another key (none of {} opens it): give the key it was "
                            "created with",
                            keys.ids_text()));
}

} // namespace discord::oauth2::store
