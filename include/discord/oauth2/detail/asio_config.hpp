// Asio as the library was built with it: every public header that includes Asio includes this
// first. Not part of the API.
//
// Asio decides whether it allocates with std::aligned_alloc from a macro that only a standard
// header defines (_GLIBCXX_HAVE_ALIGNED_ALLOC), so a file that reads Asio before any standard
// header decides otherwise than one that reads <string> first. Its allocator is inline: two
// files that decided differently pair aligned_alloc with operator delete, which
// AddressSanitizer reports as alloc-dealloc-mismatch in every bot built with it. The library's
// build, its pkg-config file and its CMake package all define ASIO_HAS_STD_ALIGNED_ALLOC, so
// nobody decides; a file compiled without those flags that read Asio first is refused here
// rather than left to fail at run time (docs/compilers.md).
#pragma once

#include <cstddef> // a standard header before Asio's configuration, whatever the file did

#include <asio/detail/config.hpp>

#if !defined(ASIO_HAS_STD_ALIGNED_ALLOC)
#error "discord-oauth2: Asio was read without ASIO_HAS_STD_ALIGNED_ALLOC, which the library was built with. Use the flags of `pkg-config --cflags discord-oauth2` or the CMake target discord-oauth2::discord-oauth2 (they define it), or define ASIO_HAS_STD_ALIGNED_ALLOC yourself."
#endif
