// The key the durable token stores seal grants with at rest, and its ring.
#pragma once

#include <discord/oauth2/key.hpp>

namespace discord::oauth2 {

/// The purpose of a store_key.
struct store_key_purpose {
    static constexpr std::string_view name = "store key"; ///< in error messages
};

/// The 32-byte key tokens are encrypted with at rest (AES-256-GCM): sqlite_token_store,
/// postgres_token_store, export_grants and import_grants.
using store_key = basic_key<store_key_purpose>;
/// The store keys of a rotation: the first seals new grants, every one opens (key.hpp).
using store_key_ring = basic_key_ring<store_key_purpose>;

extern template class basic_key<store_key_purpose>;
extern template class basic_key_ring<store_key_purpose>;

} // namespace discord::oauth2
