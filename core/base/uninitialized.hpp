#pragma once
// Arrays whose elements are not zeroed when sized: for large arrays filled in parallel right after,
// where zeroing would be one more serial pass over fresh pages (and a page fault per 4 KiB on the
// first touch, which is most of the cost of sizing a 40 MB array).
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace m1 {

// std::allocator, except that value-initialisation (resize, the size constructor) default-
// initialises: trivial types are left as they are.
template <class T>
struct default_init_allocator : std::allocator<T> {
    using std::allocator<T>::allocator;
    template <class U>
    struct rebind {
        using other = default_init_allocator<U>;
    };
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

template <class T>
using uninitialized_vector = std::vector<T, default_init_allocator<T>>;

}  // namespace m1
