// Valid and malicious requests with the status the server core must answer. Used by the parser's
// tests (which see 200/404/405 as "parsed") and by the server's tests over real sockets.
// The server under test routes GET /, GET /search, GET /items/{id} and POST /echo.
#pragma once

#include <string>
#include <vector>

namespace test {

struct request_case {
    const char* name;
    std::string bytes;
    int status;
};

inline std::vector<request_case> request_table()
{
    const std::string host = "Host: 127.0.0.1\r\n";
    std::string many_headers;
    for (int i = 0; i < 99; ++i)
        many_headers += "X-H" + std::to_string(i) + ": v\r\n";
    std::string too_many_headers = many_headers + "X-Last: v\r\nX-One-More: v\r\n";
    std::string longest_target = "/" + std::string(8192 - 14, 'a'); // "GET " + target + " HTTP/1.1" = 8192
    std::string too_long_target = "/" + std::string(9000, 'a');
    std::string huge_header = "X-Big: " + std::string(17000, 'b') + "\r\n";

    return {
        // Valid requests.
        {"simple GET", "GET / HTTP/1.1\r\n" + host + "\r\n", 200},
        {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 200},
        {"query with escapes and plus", "GET /search?q=a%20b+c&empty=&flag HTTP/1.1\r\n" + host + "\r\n", 200},
        {"POST with body", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", 200},
        {"POST with empty body", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", 200},
        {"POST without Content-Length", "POST /echo HTTP/1.1\r\n" + host + "\r\n", 200},
        {"HEAD", "HEAD / HTTP/1.1\r\n" + host + "\r\n", 200},
        {"trailing whitespace in value", "GET / HTTP/1.1\r\n" + host + "X-A: value \t\r\n\r\n", 200},
        {"obs-text in value", "GET / HTTP/1.1\r\n" + host + "X-A: caf\xc3\xa9\r\n\r\n", 200},
        {"empty header value", "GET / HTTP/1.1\r\n" + host + "X-Empty:\r\n\r\n", 200},
        {"path parameter", "GET /items/42 HTTP/1.1\r\n" + host + "\r\n", 200},
        {"escaped path parameter", "GET /items/%34%32 HTTP/1.1\r\n" + host + "\r\n", 200},
        {"Connection: close", "GET / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 200},
        {"100 header fields", "GET / HTTP/1.1\r\n" + host + many_headers + "\r\n", 200},
        {"request line at the limit", "GET " + longest_target + " HTTP/1.1\r\n" + host + "\r\n", 404},
        {"GET with Content-Length 0", "GET / HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", 200},
        {"mixed-case Host", "GET / HTTP/1.1\r\nhOsT: 127.0.0.1\r\n\r\n", 200},
        // Routing.
        {"unknown path", "GET /nope HTTP/1.1\r\n" + host + "\r\n", 404},
        {"wrong method", "POST / HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", 405},
        {"lower-case method", "get / HTTP/1.1\r\n" + host + "\r\n", 405},
        {"unknown method", "BREW / HTTP/1.1\r\n" + host + "\r\n", 405},
        {"trailing slash is another path", "GET /search/ HTTP/1.1\r\n" + host + "\r\n", 404},
        // Malformed request lines.
        {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
        {"two Host headers", "GET / HTTP/1.1\r\n" + host + host + "\r\n", 400},
        {"double space", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400},
        {"bare LF line ends", "GET / HTTP/1.1\n" + std::string("Host: a\n\n"), 400},
        {"HTTP/0.9 request", "GET /\r\n\r\n", 400},
        {"leading empty line", "\r\nGET / HTTP/1.1\r\n" + host + "\r\n", 400},
        {"absolute-form target", "GET http://127.0.0.1/ HTTP/1.1\r\n" + host + "\r\n", 400},
        {"asterisk-form target", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 400},
        {"fragment in target", "GET /#frag HTTP/1.1\r\n" + host + "\r\n", 400},
        {"NUL in target", std::string("GET /a\0b HTTP/1.1\r\n", 19) + host + "\r\n", 400},
        {"unsupported version", "GET / HTTP/2.0\r\n" + host + "\r\n", 505},
        {"malformed version", "GET / HTTP/1.1x\r\n" + host + "\r\n", 400},
        {"lower-case version", "GET / http/1.1\r\n" + host + "\r\n", 400},
        {"TLS handshake on a plain port", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
        {"request line over 8 KiB", "GET " + too_long_target + " HTTP/1.1\r\n" + host + "\r\n", 414},
        // Malformed headers.
        {"bare CR in value", "GET / HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n", 400},
        {"bare CR after value", "GET / HTTP/1.1\r\n" + host + "X-A: a\rX\r\n\r\n", 400},
        {"obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: a\r\n  b\r\n\r\n", 400},
        {"whitespace before the first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
        {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 37), 400},
        {"DEL in value", "GET / HTTP/1.1\r\n" + host + "X-A: a\x7f\r\n\r\n", 400},
        {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
        {"empty header name", "GET / HTTP/1.1\r\n" + host + ": value\r\n\r\n", 400},
        {"invalid header name", "GET / HTTP/1.1\r\n" + host + "X(A): value\r\n\r\n", 400},
        {"header without colon", "GET / HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", 400},
        {"header block over 16 KiB", "GET / HTTP/1.1\r\n" + host + huge_header + "\r\n", 431},
        {"101 header fields", "GET / HTTP/1.1\r\n" + host + too_many_headers + "\r\n", 431},
        // Bodies and framing (request smuggling).
        {"Transfer-Encoding", "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"Transfer-Encoding with Content-Length",
         "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", 400},
        {"two Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
         400},
        {"non-numeric Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: abc\r\n\r\n", 400},
        {"negative Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", 400},
        {"signed Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello", 400},
        {"Content-Length list", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5, 5\r\n\r\nhello", 400},
        {"huge Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n",
         400},
        {"body over the limit", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 1000000\r\n\r\n", 413},
        {"GET with a body", "GET / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", 400},
        {"HEAD with a body", "HEAD / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", 400},
        {"unknown expectation", "POST /echo HTTP/1.1\r\n" + host + "Expect: teapot\r\nContent-Length: 1\r\n\r\nx", 417},
        // Percent-encoding.
        {"bad escape in path", "GET /%zz HTTP/1.1\r\n" + host + "\r\n", 400},
        {"truncated escape in path", "GET /%4 HTTP/1.1\r\n" + host + "\r\n", 400},
        {"encoded NUL in path", "GET /a%00 HTTP/1.1\r\n" + host + "\r\n", 400},
        {"bad escape in query", "GET /search?q=%G1 HTTP/1.1\r\n" + host + "\r\n", 400},
        {"truncated escape in query", "GET /search?q=% HTTP/1.1\r\n" + host + "\r\n", 400},
        {"encoded NUL in query", "GET /search?q=%00 HTTP/1.1\r\n" + host + "\r\n", 400},
    };
}

} // namespace test
