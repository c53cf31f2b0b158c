package org.parasol.hypercall.abi;

/**
 * Virtual IRQ numbers ({@code VIRQ_*}), mirrors {@code public/xen.h} and
 * {@code arch-x86/xen.h}.
 *
 * <p>A VIRQ is bound to a port with {@code EVTCHNOP_bind_virq}. Numbers run {@code 0 ..< }
 * {@link #NR_VIRQS}; 5, 14 and 15 are not defined. Each VIRQ has a {@link VirqClass}: a
 * per-vCPU VIRQ may be bound once on each vCPU, a per-domain or global one only on vCPU 0
 * (then moved with {@code EVTCHNOP_bind_vcpu}); a global VIRQ belongs to one domain at a time.
 */
public final class Virq {
    private Virq() {
    }

    /** {@code VIRQ_TIMER}: vCPU timer expired (per vCPU). */
    public static final int TIMER = 0;
    /** {@code VIRQ_DEBUG}: request guest debug output (per vCPU). */
    public static final int DEBUG = 1;
    /** {@code VIRQ_CONSOLE}: input on Xen's console (global). */
    public static final int CONSOLE = 2;
    /** {@code VIRQ_DOM_EXC}: a domain exited or crashed (global). */
    public static final int DOM_EXC = 3;
    /** {@code VIRQ_TBUF}: trace buffer has records (global). */
    public static final int TBUF = 4;
    /** {@code VIRQ_DEBUGGER}: a domain hit a debugger trap (global). */
    public static final int DEBUGGER = 6;
    /** {@code VIRQ_XENOPROF}: profiling samples available (per vCPU). */
    public static final int XENOPROF = 7;
    /** {@code VIRQ_CON_RING}: Xen's console ring has output (global). */
    public static final int CON_RING = 8;
    /** {@code VIRQ_PCPU_STATE}: a pCPU changed state (global). */
    public static final int PCPU_STATE = 9;
    /** {@code VIRQ_MEM_EVENT}: memory event available (global). */
    public static final int MEM_EVENT = 10;
    /** {@code VIRQ_ARGO}: Argo interdomain message (per domain). */
    public static final int ARGO = 11;
    /** {@code VIRQ_ENOMEM}: Xen's heap is low (global). */
    public static final int ENOMEM = 12;
    /** {@code VIRQ_XENPMU}: performance-monitoring interrupt (per vCPU). */
    public static final int XENPMU = 13;
    /** {@code VIRQ_ARCH_0}: first architecture-specific VIRQ. */
    public static final int ARCH_0 = 16;
    /** {@code VIRQ_MCA}: x86's name for {@link #ARCH_0}, machine-check (global). */
    public static final int MCA = ARCH_0;
    /** {@code VIRQ_ARCH_1}. */
    public static final int ARCH_1 = 17;
    /** {@code VIRQ_ARCH_2}. */
    public static final int ARCH_2 = 18;
    /** {@code VIRQ_ARCH_3}. */
    public static final int ARCH_3 = 19;
    /** {@code VIRQ_ARCH_4}. */
    public static final int ARCH_4 = 20;
    /** {@code VIRQ_ARCH_5}. */
    public static final int ARCH_5 = 21;
    /** {@code VIRQ_ARCH_6}. */
    public static final int ARCH_6 = 22;
    /**
     * {@code VIRQ_ARCH_7}, which x86 Xen leaves undefined; Parasol's host relay raises it
     * (global, the privileged domain's) when a host-side connection is offered or hung up
     * ({@link HostRelayOp#VIRQ}).
     */
    public static final int ARCH_7 = 23;
    /** {@code NR_VIRQS}: VIRQ numbers are below this. */
    public static final int NR_VIRQS = 24;

    /** How many bindings of one VIRQ may exist, per Xen's {@code virq_is_global}/per-domain rules. */
    public enum VirqClass {
        /** One binding per vCPU, each on its own vCPU; the binding never moves. */
        PER_VCPU,
        /** One binding per domain, first on vCPU 0; may be moved with {@code bind_vcpu}. */
        PER_DOMAIN,
        /** One binding in the whole system (one owning domain), first on vCPU 0. */
        GLOBAL
    }

    /**
     * Returns the class of VIRQ {@code virq}, or {@code null} if {@code virq} is not a defined
     * VIRQ (negative, 5, 14, 15, the undefined x86 arch slots 17..22, or {@code >= NR_VIRQS}).
     */
    public static VirqClass classOf(int virq) {
        return switch (virq) {
            case TIMER, DEBUG, XENOPROF, XENPMU -> VirqClass.PER_VCPU;
            case ARGO -> VirqClass.PER_DOMAIN;
            case CONSOLE, DOM_EXC, TBUF, DEBUGGER, CON_RING, PCPU_STATE, MEM_EVENT, ENOMEM, MCA, ARCH_7 ->
                    VirqClass.GLOBAL;
            default -> null;
        };
    }

    /** Returns Xen's name for VIRQ {@code virq} (e.g. {@code "VIRQ_TIMER"}), or {@code null}. */
    public static String name(int virq) {
        return switch (virq) {
            case TIMER -> "VIRQ_TIMER";
            case DEBUG -> "VIRQ_DEBUG";
            case CONSOLE -> "VIRQ_CONSOLE";
            case DOM_EXC -> "VIRQ_DOM_EXC";
            case TBUF -> "VIRQ_TBUF";
            case DEBUGGER -> "VIRQ_DEBUGGER";
            case XENOPROF -> "VIRQ_XENOPROF";
            case CON_RING -> "VIRQ_CON_RING";
            case PCPU_STATE -> "VIRQ_PCPU_STATE";
            case MEM_EVENT -> "VIRQ_MEM_EVENT";
            case ARGO -> "VIRQ_ARGO";
            case ENOMEM -> "VIRQ_ENOMEM";
            case XENPMU -> "VIRQ_XENPMU";
            case MCA -> "VIRQ_MCA";
            case ARCH_7 -> "VIRQ_PARASOL_HOST_RELAY";
            default -> null;
        };
    }
}
