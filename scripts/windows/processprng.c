/* A stand-in for bcryptprimitives.dll, for tests under wine only.
 *
 * Rust 1.78+ binaries for Windows import ProcessPrng from bcryptprimitives.dll,
 * which Windows has from Windows 10 / Server 2016 and wine from 8.13; Debian's
 * wine 8.0 lacks it, and the binary fails to load. This DLL exports ProcessPrng
 * on top of RtlGenRandom (advapi32's SystemFunction036). It is never shipped:
 * scripts/windows-check.sh builds it into a throw-away wine prefix. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: feed it at most 1 GiB at a time. */
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
