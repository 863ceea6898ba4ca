// A throwaway self-signed certificate for local TLS: the tests, and the emulator's --tls.
// The certificate is its own CA, so giving its file as a client's CA file makes it trusted.
#pragma once

#include <string>
#include <vector>

namespace discord::oauth2::tls {

struct certificate_files {
    std::string certificate_file; ///< PEM certificate; also the CA file clients trust
    std::string private_key_file; ///< PEM private key (P-256), mode 0600
};

/// Writes `cert.pem` and `key.pem` into `directory`, valid for a day, naming `hosts` (IP
/// addresses or DNS names) as subject alternative names. Throws `error` on failure.
certificate_files write_self_signed_certificate(const std::string& directory,
                                                const std::vector<std::string>& hosts = {"127.0.0.1", "::1",
                                                                                        "localhost"});

} // namespace discord::oauth2::tls
