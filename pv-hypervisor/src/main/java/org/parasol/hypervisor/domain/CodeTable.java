package org.parasol.hypervisor.domain;

import java.util.ArrayList;
import java.util.IdentityHashMap;

import org.parasol.hypercall.GuestCode;

/**
 * A domain's code table: the synthetic code addresses its guest code objects were given.
 *
 * <p>Java has no function pointers, so {@link org.parasol.hypercall.Cpu#registerCode}
 * assigns each object an address in the guest kernel's half of the address space, and the
 * hypervisor resolves addresses here when a hypercall names one. Addresses are never zero,
 * 16-byte aligned, and the same object always gets the same address.
 */
public final class CodeTable {
    /** Where synthetic code addresses start: the top 1 GiB, like a kernel's text. */
    public static final long BASE = 0xFFFF_FFFF_C000_0000L;
    /** Most entries one domain may register. */
    public static final int MAX_ENTRIES = 1 << 16;

    private final IdentityHashMap<GuestCode, Long> addresses = new IdentityHashMap<>();
    private final ArrayList<GuestCode> entries = new ArrayList<>();

    /** Registers {@code code}, returning its address; 0 when the table is full. */
    public synchronized long register(GuestCode code) {
        Long a = addresses.get(code);
        if (a != null) {
            return a;
        }
        if (entries.size() >= MAX_ENTRIES) {
            return 0;
        }
        entries.add(code);
        long addr = BASE + 16L * entries.size();
        addresses.put(code, addr);
        return addr;
    }

    /** The code registered at {@code address}, or {@code null} for any other number. */
    public synchronized GuestCode resolve(long address) {
        long off = address - BASE;
        if (off <= 0 || (off & 15) != 0) {
            return null;
        }
        long idx = (off >>> 4) - 1;
        if (idx >= entries.size()) {
            return null;
        }
        return entries.get((int) idx);
    }

    /** Resolves {@code address} to code of kind {@code kind}, or {@code null}. */
    public <T extends GuestCode> T resolve(long address, Class<T> kind) {
        GuestCode c = resolve(address);
        return kind.isInstance(c) ? kind.cast(c) : null;
    }

    /** Number of registered entries. */
    public synchronized int size() {
        return entries.size();
    }
}
