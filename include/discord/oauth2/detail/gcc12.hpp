// Compile-time refusals of what g++ 12 miscompiles in a caller's coroutine. Not part of the API.
//
// g++ 12 destroys twice a temporary made by aggregate initialisation inside a full expression
// that holds a co_await: a lambda with captures, a braced or designated list of a struct, when
// what it holds has a destructor (GCC bug 100611; measured in docs/compilers.md). The temporary
// lives in the caller's coroutine frame, so no signature on our side can save it. What we can
// do is refuse, where the library takes such a value, the argument forms that make one, so that
// the natural way of writing it is a compile error with a way out instead of a double free
// after the user has authorized:
//
//   - a braced list for a struct parameter: each operation that takes a struct has an overload
//     taking `const volatile T&&`, which only a braced list selects (for any expression of type
//     T the forwarding overload binds better), and that overload is refused under g++ 12;
//   - a lambda with captures that have destructors, made in the call (next_matching).
#pragma once

#include <functional>
#include <type_traits>

namespace discord::oauth2::detail {

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
inline constexpr bool gcc12_destroys_temporaries_twice = true;
#else
inline constexpr bool gcc12_destroys_temporaries_twice = false;
#endif

/// In the overload that only a braced list selects: fails to compile under g++ 12.
template <class Braced>
constexpr void refuse_braced_list_under_gcc12() noexcept
{
    static_assert(!gcc12_destroys_temporaries_twice || sizeof(Braced) == 0,
                  "g++ 12 destroys twice a braced or designated list made inside co_await (GCC bug 100611): a "
                  "double free at run time. Name the value in a variable before the co_await and pass the variable. "
                  "docs/compilers.md");
}

/// The value a braced list made, which the overload took as `const volatile T&&` so that only a
/// braced list selects it: the temporary itself is neither const nor volatile.
template <class T>
T&& braced_value(const volatile T&& braced) noexcept
{
    return static_cast<T&&>(const_cast<T&>(braced));
}

/// Fails to compile under g++ 12 when the callable `Predicate` (a forwarding reference's
/// deduced type) is a temporary with captures that have destructors: a lambda made in the call.
template <class Predicate>
constexpr void refuse_capturing_temporary_under_gcc12() noexcept
{
    using type = std::remove_cvref_t<Predicate>;
    constexpr bool is_function_object = requires { typename type::result_type; } // std::function
        || std::is_function_v<std::remove_pointer_t<type>>;
    static_assert(!gcc12_destroys_temporaries_twice || std::is_lvalue_reference_v<Predicate>
                      || std::is_trivially_destructible_v<type> || is_function_object,
                  "g++ 12 destroys twice a lambda with captures made inside co_await (GCC bug 100611): a double "
                  "free at run time. Capture by reference, or name the lambda in a variable before the co_await and "
                  "pass the variable. docs/compilers.md");
}

} // namespace discord::oauth2::detail
