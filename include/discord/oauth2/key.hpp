// 32-byte secret keys: what states are sealed with (state_key, state.hpp) and what grants are
// encrypted with at rest (store_key, store_key.hpp). One class template; the purpose is part of
// the type, so that a key made for one purpose can never be passed for the other.
#pragma once

#include <discord/oauth2/secret.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace discord::oauth2 {

/// 32 bytes of key material for `Purpose`, a tag naming what the key is for (its `name`, such as
/// "store key", appears in error messages). Copyable; the bytes live in a `secret`, wiped when
/// the last copy goes. Immutable, so a key may be shared between threads.
template <class Purpose>
class basic_key {
public:
    /// A new random key (OpenSSL's RAND_bytes). Throws `error` if the system has no randomness.
    [[nodiscard]] static basic_key generate();
    /// Exactly 32 bytes; throws `error` (invalid_argument) otherwise, naming the size only.
    [[nodiscard]] static basic_key from_bytes(std::string_view bytes);
    /// A file holding the key as 64 hexadecimal digits (a trailing newline allowed) or as 32 raw
    /// bytes, readable by its owner only (mode 600 or 400). Throws `error` (invalid_argument)
    /// naming the problem, never the key: missing, a symbolic link, not a regular file, readable
    /// by group or others (the message says `chmod 600 FILE`), or not a key.
    [[nodiscard]] static basic_key from_file(const std::string& path);
    /// The key as 64 hexadecimal digits, for writing a key file.
    [[nodiscard]] secret to_hex() const;
    /// The 32 bytes.
    [[nodiscard]] const secret& bytes() const noexcept { return bytes_; }

private:
    explicit basic_key(secret bytes) : bytes_(std::move(bytes)) {}
    secret bytes_;
};

} // namespace discord::oauth2
