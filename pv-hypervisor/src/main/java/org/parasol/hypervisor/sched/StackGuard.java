package org.parasol.hypervisor.sched;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * How much stack a host thread has left, so that the hypervisor never starts work on a stack
 * the guest has nearly used up.
 *
 * <p>Why. A guest chooses the depth at which it calls the hypervisor: it can recurse until
 * the stack is nearly full and then make a hypercall. The JVM throws
 * {@link StackOverflowError} at whatever method entry runs out of room, so without a check
 * the error could land between a lock's acquisition and its release, or half-way through a
 * change to shared state (a frame's reference count taken but not recorded), which would
 * harm other domains. So every entry into the hypervisor from guest code first asks
 * {@link #hasHeadroom()} — before taking any lock — and refuses the call when fewer than
 * {@link #HEADROOM} bytes are left; the domain is then crashed without running any more
 * hypervisor code on that stack.
 *
 * <p>Why this mechanism. Java has no way to read the stack pointer, and probing by calling
 * a method with a large frame costs far more than a hypercall (and the JIT shrinks frames).
 * The JDK's reserved-stack annotation is internal and honoured only with a JVM flag. So the
 * stack pointer is read directly: a four-byte x86-64 function ({@code mov rax, rsp; ret}) in
 * an executable page, called through a critical FFM downcall (about 3 ns), and compared with
 * the thread's stack bounds, which {@code pthread_getattr_np} gives once per thread (again
 * whenever the stack pointer leaves them, as when a virtual thread moves to another carrier).
 *
 * <p>Budget. Below any Java frame the JVM keeps its guard zones (red, yellow, reserved: 16 KiB
 * on Linux x86-64) and needs its shadow zone (80 KiB) free at every method entry, else that
 * entry throws. {@link #HEADROOM} adds to those 96 KiB a budget of 160 KiB for the deepest
 * hypervisor path a hypercall takes (its handler, the frame table, event and grant code, a
 * TLB shootdown, and the crash path's logging), interpreted or compiled.
 *
 * <p>Where it cannot work (another OS or architecture, or a host that refuses executable
 * memory) {@link #available()} is false, every check passes, and the host logs a warning:
 * the threat model then loses this guarantee (see {@code docs/threat-model.md}).
 *
 * <p>One instance per vCPU, used only on the vCPU's thread.
 */
public final class StackGuard {
    /** Bytes of stack a thread must have left for the hypervisor to start work on it. */
    public static final long HEADROOM = 256 * 1024;

    private static final MethodHandle READ_SP;
    private static final MethodHandle PTHREAD_SELF;
    private static final MethodHandle PTHREAD_GETATTR_NP;
    private static final MethodHandle PTHREAD_ATTR_GETSTACK;
    private static final MethodHandle PTHREAD_ATTR_DESTROY;
    private static final String UNAVAILABLE;
    /** glibc's {@code pthread_attr_t} is 56 bytes on x86-64; leave room. */
    private static final long ATTR_BYTES = 128;

    static {
        MethodHandle sp = null;
        MethodHandle self = null;
        MethodHandle getattr = null;
        MethodHandle getstack = null;
        MethodHandle destroy = null;
        String why = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            why = "stack checks need Linux on x86-64 (this is " + os + " on " + arch + ")";
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                self = linker.downcallHandle(find(libc, "pthread_self"), FunctionDescriptor.of(ValueLayout.JAVA_LONG));
                getattr = linker.downcallHandle(find(libc, "pthread_getattr_np"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
                getstack = linker.downcallHandle(find(libc, "pthread_attr_getstack"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                                ValueLayout.ADDRESS));
                destroy = linker.downcallHandle(find(libc, "pthread_attr_destroy"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                sp = linker.downcallHandle(stackPointerFunction(linker, libc), FunctionDescriptor.of(ValueLayout.JAVA_LONG),
                        Linker.Option.critical(false));
                long probe = (long) sp.invokeExact();
                if (probe == 0) {
                    throw new IllegalStateException("the stack-pointer function returned 0");
                }
            } catch (Throwable t) {
                why = "cannot read the stack pointer: " + t;
                sp = null;
            }
        }
        READ_SP = sp;
        PTHREAD_SELF = self;
        PTHREAD_GETATTR_NP = getattr;
        PTHREAD_ATTR_GETSTACK = getstack;
        PTHREAD_ATTR_DESTROY = destroy;
        UNAVAILABLE = why;
        if (why != null) {
            System.getLogger("org.parasol.hypervisor.sched").log(System.Logger.Level.WARNING,
                    "hypercalls are not checked for stack headroom: " + why);
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
    }

    /**
     * Maps one page, writes {@code mov rax, rsp; ret} into it and makes it read-and-execute
     * only (never writable and executable at once). The page lives as long as the JVM.
     */
    private static MemorySegment stackPointerFunction(Linker linker, SymbolLookup libc) throws Throwable {
        MethodHandle mmap = linker.downcallHandle(find(libc, "mmap"), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MethodHandle mprotect = linker.downcallHandle(find(libc, "mprotect"), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        final int protRead = 1;
        final int protWrite = 2;
        final int protExec = 4;
        final int mapPrivateAnonymous = 0x02 | 0x20;
        final long page = 4096;
        long addr = (long) mmap.invokeExact(0L, page, protRead | protWrite, mapPrivateAnonymous, -1, 0L);
        if (addr == -1L || addr == 0L) {
            throw new IllegalStateException("mmap of one page failed");
        }
        MemorySegment code = MemorySegment.ofAddress(addr).reinterpret(page);
        byte[] movRaxRspRet = {0x48, (byte) 0x89, (byte) 0xE0, (byte) 0xC3};
        MemorySegment.copy(movRaxRspRet, 0, code, ValueLayout.JAVA_BYTE, 0, movRaxRspRet.length);
        int rc = (int) mprotect.invokeExact(addr, page, protRead | protExec);
        if (rc != 0) {
            throw new IllegalStateException("mprotect(PROT_READ|PROT_EXEC) failed");
        }
        return code;
    }

    /** Whether stack checks work on this host (else every check passes). */
    public static boolean available() {
        return READ_SP != null;
    }

    /** Why stack checks do not work here, or null when they do. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The calling thread's stack pointer, or 0 where it cannot be read. */
    public static long stackPointer() {
        if (READ_SP == null) {
            return 0;
        }
        try {
            return (long) READ_SP.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Lowest address of the calling thread's stack (where it overflows). */
    private long low;
    /** One past its highest address (where it starts). */
    private long high;

    /** A guard whose bounds are read on first use. */
    public StackGuard() {
    }

    /**
     * Whether the calling thread has at least {@link #HEADROOM} bytes of stack left. Cheap:
     * one downcall and two comparisons while the thread's bounds are known.
     */
    public boolean hasHeadroom() {
        if (READ_SP == null) {
            return true;
        }
        long sp;
        try {
            sp = (long) READ_SP.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (sp - low >= HEADROOM && sp < high) {
            return true;
        }
        if (sp < low || sp >= high) {
            readBounds();
        }
        return sp - low >= HEADROOM && sp < high;
    }

    /** Bytes of stack left below the caller, or {@code Long.MAX_VALUE} where it cannot be read. */
    public long remaining() {
        if (READ_SP == null) {
            return Long.MAX_VALUE;
        }
        long sp = stackPointer();
        if (sp < low || sp >= high) {
            readBounds();
        }
        return sp - low;
    }

    /** (Re)reads the calling thread's stack bounds: at thread start, or after it moved. */
    public void readBounds() {
        if (READ_SP == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_BYTES, 16);
            MemorySegment addr = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            long self = (long) PTHREAD_SELF.invokeExact();
            if ((int) PTHREAD_GETATTR_NP.invokeExact(self, attr) != 0) {
                throw new IllegalStateException("pthread_getattr_np failed");
            }
            try {
                if ((int) PTHREAD_ATTR_GETSTACK.invokeExact(attr, addr, size) != 0) {
                    throw new IllegalStateException("pthread_attr_getstack failed");
                }
            } finally {
                int ignored = (int) PTHREAD_ATTR_DESTROY.invokeExact(attr);
            }
            low = addr.get(ValueLayout.JAVA_LONG, 0);
            high = low + size.get(ValueLayout.JAVA_LONG, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The bounds last read, as {@code [low, high)}; zeros before the first read. */
    public long low() {
        return low;
    }

    /** One past the highest stack address last read. */
    public long high() {
        return high;
    }
}
