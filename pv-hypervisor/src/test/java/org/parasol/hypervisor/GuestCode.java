package org.parasol.hypervisor;

/**
 * Instruction bytes laid one after another into a {@link BareGuest}'s scratch page, for tests
 * that drive a native vCPU an instruction at a time: an {@code Encoder} call writes into
 * {@link #buf()}, {@link #put} copies those bytes to the next free address and returns it, and
 * {@link #run} executes the one instruction there.
 */
final class GuestCode {
    private final BareGuest g;
    private final byte[] buf = new byte[16];
    private long next;

    GuestCode(BareGuest g) {
        this.g = g;
        this.next = g.scratch;
    }

    /** The buffer an {@code Encoder} call writes one instruction into, before {@link #put}. */
    byte[] buf() {
        return buf;
    }

    /** Copies the first {@code n} bytes of {@link #buf()} into guest memory: their address. */
    long put(int n) {
        long at = next;
        for (int i = 0; i < n; i++) {
            g.mem.putByte(at + i, buf[i]);
        }
        next += n;
        return at;
    }

    /** Executes the one instruction at {@code at} on the guest's vCPU. */
    void run(long at) {
        g.cpu.registers().rip(at);
        g.cpu.execute(1);
    }
}
