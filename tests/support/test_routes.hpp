// Routes the server and client tests serve.
#pragma once

#include "server/router.hpp"

namespace test {

/// GET /  GET /search?q=  GET /items/{id}  POST /echo  PUT|DELETE|PATCH /method
/// GET /slow?ms=N  GET /big?bytes=N  GET /boom (throws)  GET /inject (bad header)
/// GET /headers (echoes X-Test as X-Echo, plus mixed-case headers); POST /echo answers with the
/// body and names a request's Expect field in X-Expect
/// GET|POST /fields (the request's X-* fields as "name: value" lines in the body)
/// GET /reset (closes with a TCP reset)  GET /truncate (half the body, then close)
discord::oauth2::server::router test_routes();

} // namespace test
