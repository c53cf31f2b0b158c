/**
 * The privileged part of the x86-64 instruction set, as bytes: what a native kernel executes
 * where a paravirtual one makes a hypercall, and what a trap-and-emulate hypervisor must decode
 * when the exit does not say enough. The ISA is an ABI too, and both sides of it read it
 * here, as they read Xen's structures in the other packages.
 *
 * <p>{@link org.parasol.hypercall.x86.Encoder} writes the instructions the kernel's native
 * {@code pv_ops} and the device drivers use; {@link org.parasol.hypercall.x86.Decoder} reads
 * them back (and anything else a hostile guest puts at its instruction pointer) into an
 * {@link org.parasol.hypercall.x86.Instruction}, the way Xen's {@code x86_emulate} decodes
 * before it emulates. The subset is exactly what the emulation paths need: the interrupt flag
 * ({@code cli}, {@code sti}, {@code pushf}, {@code popf}), {@code hlt}, control registers,
 * {@code invlpg}, MSRs, {@code rdtsc}, {@code cpuid}, port I/O with its string and
 * {@code rep} forms, and the plain and locked stores (and loads) a kernel makes into its own
 * page tables or a device's registers. Everything else decodes as {@code #UD}.
 *
 * <p>Facts come from the Intel SDM, volume 2 (instruction formats, ModR/M and SIB in 64-bit
 * mode, the 15-byte limit); the tests check the bytes against the host's {@code objdump}.
 */
package org.parasol.hypercall.x86;
