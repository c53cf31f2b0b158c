package org.parasol.hypervisor.domain;

import java.util.Locale;

/**
 * How a domain's kernel reaches the machine: xl.cfg's {@code virt} key and {@code parasol run
 * --virt}. The same kernel image runs in each; only what is below it changes.
 */
public enum Virtualization {
    /**
     * Paravirtual: the kernel's privileged operations are hypercalls, its page tables are
     * changed with {@code mmu_update}, its devices are split drivers. Xen's PV guest.
     */
    PV("pv"),
    /**
     * Trap-and-emulate: the kernel executes privileged instructions; each is a VM exit with a
     * reason and a qualification, which the hypervisor decodes as far as the exit does not
     * say, emulates against the vCPU and the device models (16550 UART, power, the local APIC
     * timer), and resumes. Page-table stores fault on the write-protected tables and are
     * validated into them. The shape of VT-x/AMD-V with exits.
     */
    TRAP("trap"),
    /**
     * The bare machine: no hypervisor between the kernel and the machine model. Each
     * privileged instruction, once the CPU has decoded it, takes effect directly on the vCPU's
     * state and the device models: no exit is recorded, nothing is decoded a second time,
     * {@code cpuid} shows no hypervisor. The reference the lab's ratios are taken against.
     * Memory is still the hypervisor's MMU, so a page-table store is still validated (see
     * docs/lab.md). dom0 asks for it with {@code CDF_hvm} and Parasol's
     * {@code PARASOL_EMU_BARE} emulation flag.
     */
    BARE("bare"),
    /**
     * Binary translation: the kernel image is rewritten at load with the ClassFile API, each
     * call site of {@code Cpu.execute} becoming a call of the emulation
     * ({@code x86.Translation}); no exit is taken, and each instruction is decoded once, the
     * first time its {@code rip} runs, then served from the translation cache. The MMU walks
     * shadow page tables, as in {@link #TRAP} and as VMware's translator did; a translated
     * page-table store goes to the emulation inline, without an exit. dom0 asks for it with
     * {@code CDF_hvm} and Parasol's {@code PARASOL_EMU_BT} emulation flag.
     */
    BT("bt");

    private final String key;

    Virtualization(String key) {
        this.key = key;
    }

    /** The word xl.cfg and {@code --virt} use. */
    public String key() {
        return key;
    }

    /** Whether the kernel executes privileged instructions rather than hypercalls. */
    public boolean nativeKernel() {
        return this != PV;
    }

    /**
     * Whether the vCPUs' MMUs walk shadow page tables ({@code trap} and {@code bt}): a
     * hypervisor without nested paging is below the kernel. {@code bare} has no hypervisor and
     * {@code pv} has the guest's validated tables walked directly.
     */
    public boolean shadowPaging() {
        return this == TRAP || this == BT;
    }

    /**
     * The configuration named {@code word} ({@code pv}, {@code trap}, {@code bare}, {@code bt}).
     *
     * @throws IllegalArgumentException for any other word, naming the ones there are
     */
    public static Virtualization parse(String word) {
        String w = word.trim().toLowerCase(Locale.ROOT);
        for (Virtualization v : values()) {
            if (v.key.equals(w)) {
                return v;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Virtualization v : values()) {
            known.append(known.isEmpty() ? "" : ", ").append(v.key);
        }
        throw new IllegalArgumentException("virt must be one of " + known + ": '" + word + "'");
    }
}
