// 32-byte secret keys and the rings they rotate in: what states are sealed with (state_key,
// state.hpp) and what grants are encrypted with at rest (store_key, store_key.hpp). One class
// template each; the purpose is part of the type, so that a key made for one purpose can never be
// passed for the other.
#pragma once

#include <discord/oauth2/secret.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
    /// A file holding one key as 64 hexadecimal digits (a trailing newline allowed) or as 32 raw
    /// bytes, readable by its owner only (mode 600 or 400). Throws `error` (invalid_argument)
    /// naming the problem, never the key: missing, a symbolic link, not a regular file, readable
    /// by group or others (the message says `chmod 600 FILE`), not a key, or a ring of several
    /// keys (read those with basic_key_ring::from_file, which every API taking a key accepts).
    [[nodiscard]] static basic_key from_file(const std::string& path);
    /// The key as 64 hexadecimal digits, for writing a key file.
    [[nodiscard]] secret to_hex() const;
    /// The 32 bytes.
    [[nodiscard]] const secret& bytes() const noexcept { return bytes_; }
    /// The key's id: the first 4 bytes of HMAC-SHA256(key, "discord-oauth2 key id"). Everything
    /// sealed under the key carries it, so that opening picks the key at once and an error can
    /// say which key is missing; it tells nothing about the key itself.
    [[nodiscard]] std::uint32_t id() const noexcept { return id_; }
    /// The id as 8 lowercase hexadecimal digits, as error messages and the CLI print it.
    [[nodiscard]] std::string id_text() const;

private:
    explicit basic_key(secret bytes);
    secret bytes_;
    std::uint32_t id_;
};

/// An id as error messages print it: 8 lowercase hexadecimal digits.
[[nodiscard]] std::string key_id_text(std::uint32_t id);

/// The keys of one purpose a deployment holds while it rotates (docs/security.md, "Rotating
/// keys"): the first seals and signs, every key opens and verifies. A ring of one key is what a
/// single key always was, and every API that takes a ring takes a key too (the conversion is
/// implicit). Copyable; immutable, so a ring may be shared between threads.
template <class Purpose>
class basic_key_ring {
public:
    /// A ring of one key.
    basic_key_ring(basic_key<Purpose> key); // NOLINT: implicit, so a key is a ring
    /// `keys`, the first the one that seals. Throws `error` (invalid_argument) for an empty list
    /// or a key listed twice (two keys with the same id), naming the id. Build it in a named
    /// variable, not inside a co_await expression: g++ 12 cannot compile a braced list there
    /// (docs/compilers.md).
    explicit basic_key_ring(std::vector<basic_key<Purpose>> keys);
    /// A file holding one key a line, 64 hexadecimal digits each (blank lines and lines starting
    /// with `#` ignored), or one key as 32 raw bytes; the first key seals. The same checks as
    /// basic_key::from_file (owner-only mode, no symbolic link, a regular file), at most 64 KiB;
    /// a line that is not a key is named by its number, never shown.
    [[nodiscard]] static basic_key_ring from_file(const std::string& path);

    /// The key that seals and signs: the first.
    [[nodiscard]] const basic_key<Purpose>& current() const noexcept { return keys_.front(); }
    /// Every key, the current one first.
    [[nodiscard]] const std::vector<basic_key<Purpose>>& keys() const noexcept { return keys_; }
    /// The key with this id, or nullptr when the ring lacks it.
    [[nodiscard]] const basic_key<Purpose>* find(std::uint32_t id) const noexcept;
    /// The ids of the keys, current first, separated by ", " (for error messages).
    [[nodiscard]] std::string ids_text() const;

private:
    std::vector<basic_key<Purpose>> keys_;
};

} // namespace discord::oauth2
