package org.parasol.hypercall;

/**
 * A virtual IRQ ({@code uint32_t virq} of {@code EVTCHNOP_bind_virq}) as a typed handle: what
 * a guest kernel binds to a port. The numbers, their names and their classes are the ABI's
 * ({@link org.parasol.hypercall.abi.Virq}); this is the value the guest API takes.
 *
 * <p>Values are {@code 0 ..< 2^31}, so a hostile or mistaken number can still be asked for:
 * the hypervisor bounds it by {@code NR_VIRQS} and answers {@code -EINVAL}. The VIRQs Xen
 * defines are shared constants ({@link #TIMER}, {@link #DEBUG}, ...), and {@link #of} returns
 * them, so naming a defined VIRQ allocates nothing. Prints as Xen names it:
 * {@code VIRQ_TIMER}, or {@code virq 24} for a number Xen does not define.
 *
 * @param value the VIRQ number
 */
public record Virq(int value) {
    /** {@code VIRQ_TIMER}: vCPU timer expired (per vCPU). */
    public static final Virq TIMER = new Virq(org.parasol.hypercall.abi.Virq.TIMER);
    /** {@code VIRQ_DEBUG}: request guest debug output (per vCPU). */
    public static final Virq DEBUG = new Virq(org.parasol.hypercall.abi.Virq.DEBUG);
    /** {@code VIRQ_CONSOLE}: input on Xen's console (global). */
    public static final Virq CONSOLE = new Virq(org.parasol.hypercall.abi.Virq.CONSOLE);
    /** {@code VIRQ_DOM_EXC}: a domain exited or crashed (global). */
    public static final Virq DOM_EXC = new Virq(org.parasol.hypercall.abi.Virq.DOM_EXC);
    /** {@code VIRQ_TBUF}: trace buffer has records (global). */
    public static final Virq TBUF = new Virq(org.parasol.hypercall.abi.Virq.TBUF);
    /** {@code VIRQ_DEBUGGER}: a domain hit a debugger trap (global). */
    public static final Virq DEBUGGER = new Virq(org.parasol.hypercall.abi.Virq.DEBUGGER);
    /** {@code VIRQ_XENOPROF}: profiling samples available (per vCPU). */
    public static final Virq XENOPROF = new Virq(org.parasol.hypercall.abi.Virq.XENOPROF);
    /** {@code VIRQ_CON_RING}: Xen's console ring has output (global). */
    public static final Virq CON_RING = new Virq(org.parasol.hypercall.abi.Virq.CON_RING);
    /** {@code VIRQ_PCPU_STATE}: a pCPU changed state (global). */
    public static final Virq PCPU_STATE = new Virq(org.parasol.hypercall.abi.Virq.PCPU_STATE);
    /** {@code VIRQ_MEM_EVENT}: memory event available (global). */
    public static final Virq MEM_EVENT = new Virq(org.parasol.hypercall.abi.Virq.MEM_EVENT);
    /** {@code VIRQ_ARGO}: Argo interdomain message (per domain). */
    public static final Virq ARGO = new Virq(org.parasol.hypercall.abi.Virq.ARGO);
    /** {@code VIRQ_ENOMEM}: Xen's heap is low (global). */
    public static final Virq ENOMEM = new Virq(org.parasol.hypercall.abi.Virq.ENOMEM);
    /** {@code VIRQ_XENPMU}: performance-monitoring interrupt (per vCPU). */
    public static final Virq XENPMU = new Virq(org.parasol.hypercall.abi.Virq.XENPMU);
    /** {@code VIRQ_MCA}: machine check, x86's {@code VIRQ_ARCH_0} (global). */
    public static final Virq MCA = new Virq(org.parasol.hypercall.abi.Virq.MCA);
    /**
     * Parasol's {@code VIRQ_ARCH_7}: the host relay offered or hung up a connection (global;
     * {@link org.parasol.hypercall.abi.HostRelayOp}).
     */
    public static final Virq PARASOL_HOST_RELAY = new Virq(org.parasol.hypercall.abi.Virq.ARCH_7);

    /** Checks that {@code value} is non-negative (it travels as {@code uint32_t}). */
    public Virq {
        if (value < 0) {
            throw new IllegalArgumentException("virq out of range: " + Integer.toUnsignedString(value));
        }
    }

    /** Returns the handle for {@code value}: the shared constant for a VIRQ Xen defines. */
    public static Virq of(int value) {
        return switch (value) {
            case org.parasol.hypercall.abi.Virq.TIMER -> TIMER;
            case org.parasol.hypercall.abi.Virq.DEBUG -> DEBUG;
            case org.parasol.hypercall.abi.Virq.CONSOLE -> CONSOLE;
            case org.parasol.hypercall.abi.Virq.DOM_EXC -> DOM_EXC;
            case org.parasol.hypercall.abi.Virq.TBUF -> TBUF;
            case org.parasol.hypercall.abi.Virq.DEBUGGER -> DEBUGGER;
            case org.parasol.hypercall.abi.Virq.XENOPROF -> XENOPROF;
            case org.parasol.hypercall.abi.Virq.CON_RING -> CON_RING;
            case org.parasol.hypercall.abi.Virq.PCPU_STATE -> PCPU_STATE;
            case org.parasol.hypercall.abi.Virq.MEM_EVENT -> MEM_EVENT;
            case org.parasol.hypercall.abi.Virq.ARGO -> ARGO;
            case org.parasol.hypercall.abi.Virq.ENOMEM -> ENOMEM;
            case org.parasol.hypercall.abi.Virq.XENPMU -> XENPMU;
            case org.parasol.hypercall.abi.Virq.MCA -> MCA;
            case org.parasol.hypercall.abi.Virq.ARCH_7 -> PARASOL_HOST_RELAY;
            default -> new Virq(value);
        };
    }

    /** Whether Xen defines this VIRQ (it has a name and a class). */
    public boolean isDefined() {
        return org.parasol.hypercall.abi.Virq.classOf(value) != null;
    }

    /** Its class (per vCPU, per domain, global), or {@code null} for a number Xen does not define. */
    public org.parasol.hypercall.abi.Virq.VirqClass virqClass() {
        return org.parasol.hypercall.abi.Virq.classOf(value);
    }

    /** Xen's name ({@code VIRQ_TIMER}), or {@code virq <n>} for a number Xen does not define. */
    @Override
    public String toString() {
        String name = org.parasol.hypercall.abi.Virq.name(value);
        return name != null ? name : "virq " + value;
    }
}
