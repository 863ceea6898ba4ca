#include "support/ed25519_signer.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

namespace test {
namespace {

std::string hex(const unsigned char* data, std::size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

} // namespace

struct ed25519_signer::key {
    EVP_PKEY* pkey = nullptr;
    ~key() { EVP_PKEY_free(pkey); }
};

ed25519_signer::ed25519_signer() : key_(std::make_unique<key>())
{
    key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key_->pkey)
        throw std::runtime_error("could not make an Ed25519 key");
}

ed25519_signer::~ed25519_signer() = default;

std::string ed25519_signer::public_key_hex() const
{
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_->pkey, raw, &size) != 1)
        throw std::runtime_error("could not read the Ed25519 public key");
    return hex(raw, size);
}

std::string ed25519_signer::sign_hex(std::string_view message) const
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned char signature[64];
    std::size_t size = sizeof signature;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey) != 1
        || EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const unsigned char*>(message.data()), message.size())
               != 1)
        throw std::runtime_error("could not sign");
    return hex(signature, size);
}

} // namespace test
