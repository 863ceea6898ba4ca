// The key the durable token stores seal grants with at rest.
#pragma once

#include <discord/oauth2/secret.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace discord::oauth2 {

/// The 32-byte key tokens are encrypted with at rest (AES-256-GCM).
class store_key {
public:
    [[nodiscard]] static store_key generate();
    /// Exactly 32 bytes; throws `error` (invalid_argument) otherwise.
    [[nodiscard]] static store_key from_bytes(std::string_view bytes);
    /// A file holding the key as 64 hexadecimal digits (a trailing newline allowed) or as 32 raw
    /// bytes, readable by its owner only (mode 600 or 400). Throws `error` naming the problem,
    /// never the key: missing, a symbolic link, not a regular file, readable by group or others
    /// (the message says `chmod 600 FILE`), or not a key.
    [[nodiscard]] static store_key from_file(const std::string& path);
    /// The key as 64 hexadecimal digits, for writing a key file.
    [[nodiscard]] secret to_hex() const;
    [[nodiscard]] const secret& bytes() const noexcept { return bytes_; }

private:
    explicit store_key(secret bytes) : bytes_(std::move(bytes)) {}
    secret bytes_;
};

} // namespace discord::oauth2
