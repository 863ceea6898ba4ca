#include "tls/self_signed_certificate.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace discord::oauth2::tls {
namespace {

template <class T, void (*Free)(T*)>
struct deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void fail(const std::string& what)
{
    throw error(errc::tls_error, "cannot create a self-signed certificate: " + what);
}

bool is_ip_address(const std::string& host)
{
    return host.find(':') != std::string::npos
        || host.find_first_not_of("0123456789.") == std::string::npos;
}

void add_extension(X509* cert, int nid, const std::string& value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || !X509_add_ext(cert, ext.get(), -1))
        fail("bad extension " + value);
}

void write_pem(const std::string& path, mode_t mode, auto&& write)
{
    // A new file, made with its final mode and never through a symbolic link: what was there
    // (a link planted by another user included) is removed first, and O_EXCL refuses a race.
    ::unlink(path.c_str());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        fail("cannot write " + path);
    ::fchmod(fd, mode); // the umask may have taken bits away; never adds any beyond `mode`
    std::FILE* f = ::fdopen(fd, "wb");
    if (!f) {
        ::close(fd);
        fail("cannot write " + path);
    }
    bool ok = write(f);
    ok = std::fclose(f) == 0 && ok;
    if (!ok)
        fail("cannot write " + path);
}

} // namespace

certificate_files write_self_signed_certificate(const std::string& directory, const std::vector<std::string>& hosts)
{
    pkey_ptr key(EVP_EC_gen("P-256"));
    if (!key)
        fail("key generation failed");
    x509_ptr cert(X509_new());
    if (!cert)
        fail("out of memory");

    X509_set_version(cert.get(), X509_VERSION_3);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 60 * 60);
    X509_set_pubkey(cert.get(), key.get());

    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("discord-oauth2 local"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);

    std::string san;
    for (const auto& host : hosts) {
        if (!san.empty())
            san += ',';
        san += (is_ip_address(host) ? "IP:" : "DNS:") + host;
    }
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    if (!san.empty())
        add_extension(cert.get(), NID_subject_alt_name, san);

    if (!X509_sign(cert.get(), key.get(), EVP_sha256()))
        fail("signing failed");

    certificate_files files{directory + "/cert.pem", directory + "/key.pem"};
    write_pem(files.private_key_file, 0600, [&](std::FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    write_pem(files.certificate_file, 0644, [&](std::FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
    return files;
}

} // namespace discord::oauth2::tls
