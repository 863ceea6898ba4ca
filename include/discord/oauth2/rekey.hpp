// What re-sealing a durable store's grants under its current key did (sqlite_token_store::rekey,
// postgres_token_store::rekey; docs/security.md, "Rotating keys").
#pragma once

#include <discord/oauth2/snowflake.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// A grant a rekey could not re-seal, and why (its key is missing from the ring, or it does not
/// open); it is left as it was.
struct rekey_failure {
    snowflake user_id;  ///< whose grant
    std::string reason; ///< the error's message: names the key id, never a key or a token
};

/// The counts of one rekey. A second run after an interrupted or partly failed one finishes the
/// job: it re-seals what the first left and counts the rest as current.
struct rekey_report {
    std::size_t resealed = 0; ///< grants that were under another key (or before key ids) and now are under the current one
    std::size_t current = 0;  ///< grants already under the current key
    std::vector<rekey_failure> failed; ///< left as they were
};

} // namespace discord::oauth2
