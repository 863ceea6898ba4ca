#include "http/curl_failure.hpp"

#include <fmt/format.h>

#include <cerrno>

namespace discord::oauth2::http {

std::string origin_of(std::string_view url)
{
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return "(a URL without a scheme)";
    auto rest = url.substr(scheme_end + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    return fmt::format("{}://{}", url.substr(0, scheme_end), authority);
}

error describe_curl_failure(const curl_failure& f)
{
    auto origin = origin_of(f.url);
    std::string detail = f.errbuf && *f.errbuf ? f.errbuf : curl_easy_strerror(f.code);
    switch (f.code) {
    case CURLE_OPERATION_TIMEDOUT:
        return error(errc::timeout,
                     fmt::format("the request to {} timed out ({}); raise the timeout or check that the server answers",
                                 origin, detail));
    case CURLE_COULDNT_CONNECT: {
        long os_error = 0;
        curl_easy_getinfo(f.easy, CURLINFO_OS_ERRNO, &os_error);
        if (os_error == ECONNREFUSED)
            return error(errc::connection_refused,
                         fmt::format("{} refused the connection; check that the server runs and that the URL's host "
                                     "and port are right",
                                     f.via_proxy ? "the proxy in front of " + origin : origin));
        return error(errc::transport,
                     fmt::format("could not connect to {} ({}); check the network and any proxy", origin, detail));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
        return error(errc::resolve_failed,
                     fmt::format("the host of {} could not be resolved; check the URL and DNS", origin));
    case CURLE_COULDNT_RESOLVE_PROXY:
        return error(errc::resolve_failed, "the proxy's host could not be resolved; check the proxy option");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return error(errc::tls_error,
                     fmt::format("TLS with {} failed ({}); if the server uses a private CA, give its PEM file as the "
                                 "CA file option",
                                 origin, detail));
    case CURLE_FILESIZE_EXCEEDED:
        return error(errc::response_too_large,
                     fmt::format("the response from {} is larger than the {}-byte limit; raise max_response_bytes if "
                                 "such responses are expected",
                                 origin, f.limit));
    case CURLE_WRITE_ERROR:
        if (f.too_large)
            return error(errc::response_too_large,
                         fmt::format("the response from {} is larger than the {}-byte limit (body or headers); raise "
                                     "max_response_bytes if such responses are expected",
                                     origin, f.limit));
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return error(errc::invalid_url,
                     fmt::format("the URL for {} cannot be used ({}); give an absolute http:// or https:// URL", origin,
                                 detail));
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return error(errc::connection_lost,
                     fmt::format("the connection to {} broke before a complete response arrived ({}); the request may "
                                 "or may not have been processed",
                                 origin, detail));
    default:
        break;
    }
    return error(errc::transport, fmt::format("the request to {} failed: {}", origin, detail));
}

} // namespace discord::oauth2::http
