// What every fuzz target checks beyond the sanitizers: a property that must hold, or abort.
#pragma once

#include <cstdlib>

namespace fuzz {

inline void check(bool condition)
{
    if (!condition)
        std::abort();
}

} // namespace fuzz
