// Wiping a plain buffer that carried a secret on its way (a request's body and headers, a token
// endpoint's answer, a key file's text) before its memory is freed or reused, so that the secret
// does not linger in freed memory, a core dump or swap. explicit_bzero, which the compiler may not
// drop as a dead store. Values kept for long are `secret`s, which wipe themselves.
#pragma once

#include <cstddef>
#include <string>

namespace discord::oauth2::core {

/// Overwrites `size` bytes at `data`.
void wipe(void* data, std::size_t size) noexcept;

/// Overwrites `text`'s bytes, then empties it. Only its size() bytes: what a reallocation left
/// behind, or the slack past size() from a longer earlier value, is not reached.
void wipe(std::string& text) noexcept;

} // namespace discord::oauth2::core
