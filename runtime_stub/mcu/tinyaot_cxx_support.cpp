// tinyaot_cxx_support.cpp - minimal C++ runtime hooks for the tinyaot bare-metal
// Cortex-M runtime (-fno-exceptions/-fno-rtti builds). They keep libstdc++'s exception machinery (and its
// verbose terminate handler / demangler, ~20-60 KB of flash) out of the
// image. All definitions are weak: a program may provide its own.
#include <cstddef>
#include <cstdlib>
#include <new>

extern "C" void tinyaot_mcu_puts_stderr(const char *s);

extern "C" {
// handle for __cxa_atexit registrations of static objects (normally crtbegin.o)
__attribute__((weak)) void *__dso_handle = nullptr;

__attribute__((weak)) void __cxa_pure_virtual()
{
    tinyaot_mcu_puts_stderr("[tinyaot-mcu] pure virtual function called\n");
    abort();
}
}

namespace {
void *checked_alloc(std::size_t n)
{
    void *p = std::malloc(n ? n : 1);
    if (!p) {
        tinyaot_mcu_puts_stderr("[tinyaot-mcu] operator new: out of memory\n");
        abort();
    }
    return p;
}
}  // namespace

__attribute__((weak)) void *operator new(std::size_t n) { return checked_alloc(n); }
__attribute__((weak)) void *operator new[](std::size_t n) { return checked_alloc(n); }
__attribute__((weak)) void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return std::malloc(n ? n : 1); }
__attribute__((weak)) void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return std::malloc(n ? n : 1); }
__attribute__((weak)) void operator delete(void *p) noexcept { std::free(p); }
__attribute__((weak)) void operator delete[](void *p) noexcept { std::free(p); }
__attribute__((weak)) void operator delete(void *p, std::size_t) noexcept { std::free(p); }
__attribute__((weak)) void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
