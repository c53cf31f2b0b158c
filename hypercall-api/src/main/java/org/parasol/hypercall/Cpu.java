package org.parasol.hypercall;

/**
 * One virtual CPU as its guest kernel sees it: the register-shaped hypercall entry, the
 * vCPU's address space and its time-stamp counter.
 *
 * <p>This is the x86-64 PV calling convention in Java: the hypercall number goes where
 * {@code rax} would, the five arguments where {@code rdi, rsi, rdx, r10, r8} would, and the
 * result comes back as a signed {@code long}, {@code >= 0} for success or {@code -errno}
 * (see {@link Errno}). Pointer arguments are guest virtual addresses, translated through the
 * caller's page tables; a bad pointer answers {@code -EFAULT}.
 *
 * <p>Invariants:
 * <ul>
 *   <li>A {@code Cpu} may be used only on its own vCPU's thread. A call from any other
 *       thread crashes the domain.</li>
 *   <li>Once the domain has crashed, shut down or been destroyed, every call throws
 *       {@link GuestAbort}, even after the guest caught an earlier one.</li>
 *   <li>Upcalls and trap handlers run only inside calls into the hypervisor (hypercall
 *       return, trap return, wake-up from block or poll), never asynchronously.</li>
 * </ul>
 */
public interface Cpu {

    /** Issues hypercall {@code nr}; unused arguments should be zero. */
    long hypercall(int nr, long a1, long a2, long a3, long a4, long a5);

    /** Issues a hypercall with no arguments. */
    default long hypercall(int nr) {
        return hypercall(nr, 0, 0, 0, 0, 0);
    }

    /** Issues a hypercall with one argument. */
    default long hypercall(int nr, long a1) {
        return hypercall(nr, a1, 0, 0, 0, 0);
    }

    /** Issues a hypercall with two arguments. */
    default long hypercall(int nr, long a1, long a2) {
        return hypercall(nr, a1, a2, 0, 0, 0);
    }

    /** Issues a hypercall with three arguments. */
    default long hypercall(int nr, long a1, long a2, long a3) {
        return hypercall(nr, a1, a2, a3, 0, 0);
    }

    /** Issues a hypercall with four arguments. */
    default long hypercall(int nr, long a1, long a2, long a3, long a4) {
        return hypercall(nr, a1, a2, a3, a4, 0);
    }

    /** This vCPU's id within its domain, {@code 0 ..< max vCPUs}. */
    int vcpuId();

    /** This vCPU's view of guest memory, through its current page tables. */
    GuestMemory memory();

    /**
     * Registers guest code with the domain's code table and returns its synthetic code
     * address: the number to pass wherever Xen expects a function's address. Registering
     * the same object twice returns the same address. Addresses are never zero.
     */
    long registerCode(GuestCode code);

    /**
     * Reads the simulated time-stamp counter ({@code rdtsc}). It runs at a fixed rate that
     * {@code vcpu_time_info}'s {@code tsc_to_system_mul} and {@code tsc_shift} convert to
     * nanoseconds of system time.
     */
    long rdtsc();

    /**
     * This vCPU's registers, for a kernel that runs natively: what {@link #execute} reads its
     * operands from and leaves its results in.
     *
     * @throws UnsupportedOperationException on a vCPU that cannot execute privileged
     *     instructions (a paravirtual domain's)
     */
    default org.parasol.hypercall.x86.RegisterFile registers() {
        throw new UnsupportedOperationException("this vCPU runs paravirtualized: no native execution");
    }

    /**
     * Executes {@code count} instructions from {@code registers().rip()}, in order, as the
     * CPU would reach them: each is read from this vCPU's memory, decoded and carried out by
     * whatever the domain's configuration puts below the kernel (the machine model, or a
     * hypervisor after a VM exit), and {@code rip} ends past the last. Upcalls may be
     * delivered between instructions and after the last, as interrupts are at instruction
     * boundaries, but not in the shadow of {@code sti}.
     *
     * <p>An instruction that faults (undefined or outside the privileged subset: {@code #UD};
     * an unknown MSR, a CR3 that is no L4 of the domain: {@code #GP(0)}) raises the exception
     * through the kernel's IDT with {@code rip} at the instruction, which does not complete;
     * the kernel goes on where the handler's frame returns to ({@link #setFrameRip}). Before
     * the kernel has loaded an IDT, or when the CPU could not deliver it (a triple fault), the
     * domain ends as the hardware's fault would, after the console has said why.
     *
     * @throws UnsupportedOperationException on a paravirtual vCPU
     */
    default void execute(int count) {
        throw new UnsupportedOperationException("this vCPU runs paravirtualized: no native execution");
    }

    /**
     * The {@code rip} saved in the innermost interrupt or exception frame, inside a handler the
     * kernel's IDT named: for a fault, the faulting instruction; what the frame's {@code iret}
     * returns to. A native kernel's exception handler reads it to look up its exception table.
     *
     * @throws UnsupportedOperationException on a paravirtual vCPU
     * @throws IllegalStateException outside any handler delivered through the IDT
     */
    default long frameRip() {
        throw new UnsupportedOperationException("this vCPU runs paravirtualized: no native execution");
    }

    /**
     * Makes the innermost interrupt or exception frame return to {@code rip}: the fixup of an
     * exception-table entry, as Linux's {@code fixup_exception} writes {@code regs->ip}. The
     * handler's own register changes are not kept (the frame restores them); only this is.
     *
     * @throws UnsupportedOperationException on a paravirtual vCPU
     * @throws IllegalStateException outside any handler delivered through the IDT
     */
    default void setFrameRip(long rip) {
        throw new UnsupportedOperationException("this vCPU runs paravirtualized: no native execution");
    }

    /**
     * What a call site of {@link #execute} becomes in a binary-translated kernel
     * ({@link org.parasol.hypercall.x86.Translation}): the same instructions, run by the
     * emulation directly with no VM exit. Only a translated domain's vCPU accepts it.
     *
     * @throws UnsupportedOperationException on a vCPU that cannot execute natively
     */
    default void executeTranslated(int count) {
        throw new UnsupportedOperationException("this vCPU runs paravirtualized: no native execution");
    }

    /**
     * The device model's disk: makes {@code image} the ATA disk on the primary channel of
     * native-kernel domain {@code domid}, as a toolstack gives QEMU a {@code disk=} entry of an
     * HVM guest. Parasol's device models run in the hypervisor, so the control domain hands
     * the image file it opened to the hypervisor, which owns it from then on and closes it
     * when the domain dies; on a refusal the caller still owns it. Privileged domains only.
     *
     * @param image    a file channel the JDK made ({@link java.nio.channels.FileChannel#open}),
     *                 open for reading and, unless {@code readOnly}, writing
     * @param readOnly whether writes are refused (ABRT), as {@code access=ro} asks
     * @return 0; {@code -EPERM} from an unprivileged domain; {@code -ESRCH} for no such live
     *     domain; {@code -EINVAL} for a paravirtual domain, a channel the JDK did not make or
     *     an image of no whole sector; {@code -EEXIST} when the domain has an ATA disk already;
     *     {@code -EIO} when the image's size cannot be read
     */
    default long attachEmulatedDisk(int domid, java.nio.channels.FileChannel image, boolean readOnly) {
        return -Errno.EPERM;
    }

    /**
     * The device model's network card: gives native-kernel domain {@code domid} an NE2000 at
     * {@code 0x300}, IRQ 10, with address {@code mac}, whose wire is the calling domain's
     * (dom0's bridge port): frames for the card come by {@link #emulatedNicDeliver}, frames the
     * card sent are taken by {@link #emulatedNicTake} when the returned port of the caller's is
     * raised. As a toolstack gives QEMU an HVM guest's {@code vif=} entry; privileged domains
     * only.
     *
     * @return the caller's port (a Xen-consumer port: the caller cannot close it; it closes
     *     when the domain dies); {@code -EPERM} from an unprivileged domain; {@code -ESRCH} for
     *     no such live domain; {@code -EINVAL} for a paravirtual domain or an address not of 6
     *     bytes, or a multicast one; {@code -EEXIST} when it has a card already; {@code -ENOSPC}
     *     when the caller has no port left
     */
    default long attachEmulatedNic(int domid, byte[] mac) {
        return -Errno.EPERM;
    }

    /**
     * A frame from the wire for domain {@code domid}'s card: {@code length} bytes (14 to 1514)
     * of the caller's memory at {@code va}, copied into the card's receive ring.
     *
     * @return 0 when the card stored it; 1 when it did not take it (stopped, filtered, or its
     *     ring full: dropped and counted); {@code -EPERM}, {@code -ESRCH} (no such live domain
     *     or no card), {@code -EINVAL} (a length out of range), {@code -EFAULT} (the bytes are
     *     not the caller's)
     */
    default long emulatedNicDeliver(int domid, long va, int length) {
        return -Errno.EPERM;
    }

    /**
     * The oldest frame domain {@code domid}'s card transmitted, copied to the caller's memory at
     * {@code va} (room for 1514 bytes).
     *
     * @return its length; 0 when none waits; {@code -EPERM}, {@code -ESRCH}, {@code -EFAULT}
     *     (the frame is lost: the caller gave no memory of its own)
     */
    default long emulatedNicTake(int domid, long va) {
        return -Errno.EPERM;
    }
}
