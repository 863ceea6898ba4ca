// curl_global_init exactly once per process, before the first handle, from any thread.
#pragma once

namespace discord::oauth2::http {

void ensure_curl_global();

} // namespace discord::oauth2::http
