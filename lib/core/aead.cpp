#include "core/aead.hpp"

#include "core/random.hpp"
#include "core/wipe.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/evp.h>

#include <memory>

namespace discord::oauth2::aead {
namespace {

constexpr int iv_size = 12;
constexpr int tag_size = 16;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s)
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

// Fetched once. Named by EVP_aes_256_gcm(), OpenSSL 3 looks the cipher up in the provider store
// on every init, which cost as much as sealing a state; a fetched EVP_CIPHER is thread-safe to
// share. Freed at exit before OpenSSL's own cleanup (registered earlier).
const EVP_CIPHER* aes_256_gcm()
{
    static const std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> fetched(
        EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), &EVP_CIPHER_free);
    return fetched ? fetched.get() : EVP_aes_256_gcm();
}

} // namespace

std::string seal(std::string_view key, std::string_view plain, std::string_view aad)
{
    if (key.size() != key_size)
        throw error(errc::invalid_argument, "an AES-256-GCM key is 32 bytes");
    auto iv = random::bytes(iv_size);
    std::string out = iv;
    out.resize(iv_size + plain.size() + tag_size);
    auto* cipher_out = reinterpret_cast<unsigned char*>(out.data() + iv_size);
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, bytes(key), bytes(iv)) != 1
        || (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1)
        || EVP_EncryptUpdate(ctx.get(), cipher_out, &n, bytes(plain), static_cast<int>(plain.size())) != 1
        || EVP_EncryptFinal_ex(ctx.get(), cipher_out + n, &n) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, cipher_out + plain.size()) != 1)
        throw error(errc::transport, "AES-256-GCM encryption failed in OpenSSL");
    return out;
}

std::optional<std::string> open(std::string_view key, std::string_view sealed, std::string_view aad)
{
    if (key.size() != key_size || sealed.size() < overhead)
        return std::nullopt;
    auto cipher_size = sealed.size() - overhead;
    std::string plain(cipher_size, '\0');
    std::string tag(sealed.substr(sealed.size() - tag_size));
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, bytes(key), bytes(sealed)) == 1
        && (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) == 1)
        && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, bytes(sealed) + iv_size,
                             static_cast<int>(cipher_size)) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) == 1
        && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &n) == 1;
    if (!ok) {
        core::wipe(plain.data(), plain.size());
        return std::nullopt;
    }
    return plain;
}

} // namespace discord::oauth2::aead
