#include <discord/oauth2/token_store.hpp>

#include "core/hex.hpp"
#include "core/random.hpp"

#include <discord/oauth2/error.hpp>

#include <fstream>
#include <iterator>

namespace discord::oauth2 {

store_key store_key::generate()
{
    return store_key(secret(random::bytes(32)));
}

store_key store_key::from_bytes(std::string_view bytes)
{
    if (bytes.size() != 32)
        throw error(errc::invalid_argument, "a store key is 32 bytes, not " + std::to_string(bytes.size()));
    return store_key(secret(std::string(bytes)));
}

store_key store_key::from_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error(errc::invalid_argument, "the store key file " + path + " cannot be read");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() == 32)
        return from_bytes(text);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (text.size() == 64) {
        std::string bytes;
        for (std::size_t i = 0; i < 64; i += 2) {
            int hi = hex::digit_value(text[i]);
            int lo = hex::digit_value(text[i + 1]);
            if (hi < 0 || lo < 0)
                throw error(errc::invalid_argument, "the store key file " + path + " is not 64 hexadecimal digits");
            bytes.push_back(static_cast<char>(hi * 16 + lo));
        }
        return from_bytes(bytes);
    }
    throw error(errc::invalid_argument,
                "the store key file " + path + " must hold 64 hexadecimal digits or 32 raw bytes");
}

secret store_key::to_hex() const
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes_.reveal()) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
    }
    return secret(std::move(hex));
}

} // namespace discord::oauth2
