/**
 * The Parasol hypercall ABI: what a paravirtual guest kernel compiles against.
 *
 * <p>Hypercall and sub-op numbers, errno values, flags and the byte layout of every shared
 * structure follow Xen's public x86-64 ABI. The module depends on nothing but {@code java.base}.
 */
module org.parasol.hypercall {
    exports org.parasol.hypercall;
    exports org.parasol.hypercall.abi;
    exports org.parasol.hypercall.guest;
    exports org.parasol.hypercall.struct;
    exports org.parasol.hypercall.io;
    exports org.parasol.hypercall.x86;
}
