package org.parasol.hypercall.x86;

import org.parasol.hypercall.Cpu;

/**
 * The target of binary translation. When a domain runs translated ({@code virt = "bt"}), the
 * hypervisor rewrites its kernel image at load (with the ClassFile API): every call
 * {@code cpu.execute(n)} — the site where the kernel reaches a privileged instruction — becomes
 * {@code Translation.execute(cpu, n)}, which enters the emulation directly: no VM exit is
 * taken, and the instruction at each {@code rip} is decoded once, when it is first run, not at
 * every execution. A kernel never calls this itself.
 */
public final class Translation {
    private Translation() {
    }

    /** The translated form of {@code cpu.execute(count)}. */
    public static void execute(Cpu cpu, int count) {
        cpu.executeTranslated(count);
    }
}
