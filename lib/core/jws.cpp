#include "core/jws.hpp"
#include "core/base64.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <vector>

namespace discord::oauth2::jws {
namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using bn_ptr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

const unsigned char* bytes(std::string_view s)
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

[[noreturn]] void bad_key(std::string_view why)
{
    throw error(errc::invalid_response, "the issuer's key is not usable: " + std::string(why));
}

// EVP_PKEY_fromdata for a public key of `type` ("RSA", "EC") from `build`'s parameters.
pkey_ptr from_data(const char* type, OSSL_PARAM_BLD* build)
{
    pkey_ptr key(nullptr, &EVP_PKEY_free);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                     &EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    if (params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1
        && EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1)
        key.reset(raw);
    OSSL_PARAM_free(params);
    return key;
}

const EVP_MD* digest_of(algorithm a)
{
    return a == algorithm::eddsa ? nullptr : EVP_sha256();
}

// ES256 carries r||s (32 bytes each); OpenSSL speaks DER.
std::optional<std::string> raw_to_der(std::string_view raw)
{
    if (raw.size() != 64)
        return std::nullopt;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    int size = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (size <= 0)
        return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    return out;
}

std::string der_to_raw(std::string_view der)
{
    const unsigned char* p = bytes(der);
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (!sig)
        throw error(errc::transport, "OpenSSL made an ES256 signature it cannot read back");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

} // namespace

struct public_key::pkey {
    EVP_PKEY* key = nullptr;
    ~pkey() { EVP_PKEY_free(key); }
};

struct signing_key::pkey {
    EVP_PKEY* key = nullptr;
    ~pkey() { EVP_PKEY_free(key); }
};

std::optional<algorithm> parse_algorithm(std::string_view name) noexcept
{
    if (name == "RS256")
        return algorithm::rs256;
    if (name == "ES256")
        return algorithm::es256;
    if (name == "EdDSA")
        return algorithm::eddsa;
    return std::nullopt;
}

std::string_view name(algorithm a) noexcept
{
    switch (a) {
    case algorithm::rs256: return "RS256";
    case algorithm::es256: return "ES256";
    case algorithm::eddsa: return "EdDSA";
    }
    return "";
}

public_key public_key::rsa(std::string_view n, std::string_view e)
{
    if (n.empty() || e.empty() || e.size() > 8)
        bad_key("an RSA key needs a modulus and a small exponent");
    bn_ptr modulus(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr), &BN_free);
    bn_ptr exponent(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr), &BN_free);
    auto bits = modulus ? BN_num_bits(modulus.get()) : 0;
    if (bits < 2048 || bits > 8192)
        bad_key("an RSA modulus must have 2048 to 8192 bits");
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    if (!build || !exponent || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1
        || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1)
        bad_key("OpenSSL refused the RSA values");
    auto key = from_data("RSA", build.get());
    if (!key)
        bad_key("OpenSSL refused the RSA values");
    auto holder = std::make_shared<pkey>();
    holder->key = key.release();
    return public_key(std::move(holder), algorithm::rs256);
}

public_key public_key::p256(std::string_view x, std::string_view y)
{
    if (x.size() != 32 || y.size() != 32)
        bad_key("a P-256 key's x and y are 32 bytes each");
    std::string point = "\x04" + std::string(x) + std::string(y);
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    if (!build || OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        bad_key("OpenSSL refused the P-256 point");
    auto key = from_data("EC", build.get());
    // fromdata does not always check the point: ask explicitly, so an invalid-curve point is refused.
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
        key ? EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr) : nullptr, &EVP_PKEY_CTX_free);
    if (!key || !check || EVP_PKEY_public_check(check.get()) != 1)
        bad_key("the P-256 point is not on the curve");
    auto holder = std::make_shared<pkey>();
    holder->key = key.release();
    return public_key(std::move(holder), algorithm::es256);
}

public_key public_key::ed25519(std::string_view x)
{
    if (x.size() != 32)
        bad_key("an Ed25519 key is 32 bytes");
    auto holder = std::make_shared<pkey>();
    holder->key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(x), x.size());
    if (!holder->key)
        bad_key("OpenSSL refused the Ed25519 key");
    return public_key(std::move(holder), algorithm::eddsa);
}

bool public_key::verify(algorithm a, std::string_view signing_input, std::string_view signature) const noexcept
{
    if (a != alg_ || !key_ || !key_->key)
        return false;
    std::string der;
    if (a == algorithm::es256) {
        auto converted = raw_to_der(signature);
        if (!converted)
            return false;
        der = std::move(*converted);
        signature = der;
    }
    md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(a), nullptr, key_->key) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input), signing_input.size())
           == 1;
}

signing_key::signing_key(algorithm a) : key_(std::make_shared<pkey>()), alg_(a)
{
    switch (a) {
    case algorithm::rs256: key_->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case algorithm::es256: key_->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case algorithm::eddsa: key_->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    }
    if (!key_->key)
        throw error(errc::transport, "OpenSSL could not make a signing key");
}

std::string signing_key::sign(std::string_view signing_input) const
{
    md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t size = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_of(alg_), nullptr, key_->key) != 1
        || EVP_DigestSign(ctx.get(), nullptr, &size, bytes(signing_input), signing_input.size()) != 1)
        throw error(errc::transport, "OpenSSL could not sign");
    std::string out(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, bytes(signing_input),
                       signing_input.size())
        != 1)
        throw error(errc::transport, "OpenSSL could not sign");
    out.resize(size);
    return alg_ == algorithm::es256 ? der_to_raw(out) : out;
}

std::string signing_key::public_jwk_members() const
{
    auto b64 = [](std::string_view s) { return base64::encode_url(s); };
    if (alg_ == algorithm::rs256) {
        BIGNUM* n = nullptr;
        BIGNUM* e = nullptr;
        EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_RSA_N, &n);
        EVP_PKEY_get_bn_param(key_->key, OSSL_PKEY_PARAM_RSA_E, &e);
        auto text = [](const BIGNUM* b) {
            std::string s(static_cast<std::size_t>(BN_num_bytes(b)), '\0');
            BN_bn2bin(b, reinterpret_cast<unsigned char*>(s.data()));
            return s;
        };
        std::string out = R"("kty":"RSA","n":")" + b64(text(n)) + R"(","e":")" + b64(text(e)) + '"';
        BN_free(n);
        BN_free(e);
        return out;
    }
    if (alg_ == algorithm::es256) {
        unsigned char point[65];
        std::size_t size = 0;
        EVP_PKEY_get_octet_string_param(key_->key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &size);
        std::string_view p(reinterpret_cast<const char*>(point), size);
        return R"("kty":"EC","crv":"P-256","x":")" + b64(p.substr(1, 32)) + R"(","y":")" + b64(p.substr(33, 32)) + '"';
    }
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    EVP_PKEY_get_raw_public_key(key_->key, raw, &size);
    return R"("kty":"OKP","crv":"Ed25519","x":")" + b64(std::string_view(reinterpret_cast<const char*>(raw), size)) + '"';
}

public_key signing_key::public_half() const
{
    EVP_PKEY_up_ref(key_->key);
    auto holder = std::make_shared<public_key::pkey>();
    holder->key = key_->key;
    return public_key(std::move(holder), alg_);
}

} // namespace discord::oauth2::jws
