// The value a durable store keeps beside its grants to tell, when it is opened, whether it was
// given the keys it was written with (rather than failing grant by grant): a known text sealed
// under the current store key, naming the key's id: key id (4 bytes) | AES-256-GCM sealed text,
// with "key-check" and the id as associated data. A check written before key ids (no id) still
// opens under whichever key of the ring opens it.
#pragma once

#include <discord/oauth2/store_key.hpp>

#include <string>
#include <string_view>

namespace discord::oauth2::store {

/// The check under `key`.
[[nodiscard]] std::string seal_key_check(const store_key& key);

/// Whether the check opened under the ring's current key (false: under another of its keys, so
/// the store should write it again under the current one). Throws `error` wrong_store_key when
/// no key of the ring opens it, naming the key it was sealed under when it says.
[[nodiscard]] bool open_key_check(const store_key_ring& keys, std::string_view sealed);

} // namespace discord::oauth2::store
