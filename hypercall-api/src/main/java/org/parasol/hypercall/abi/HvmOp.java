package org.parasol.hypercall.abi;

/**
 * {@code hvm_op(cmd, arg)} (hypercall 34) commands ({@code HVMOP_*}) and the parameters a
 * native (HVM) domain sets with them ({@code HVM_PARAM_*}): mirrors {@code public/hvm/hvm_op.h}
 * and {@code public/hvm/params.h}.
 *
 * <p>{@code HVM_PARAM_CALLBACK_IRQ}'s value says how event-channel upcalls reach the guest:
 * bits 63:56 the type, the rest the type's argument. 0 turns notifications off.
 * <pre>
 *  63        56 55                                  8 7        0
 *  +-----------+-------------------------------------+----------+
 *  |   type    |        0 (for a vector)             |  vector  |   type 2: HVM_PARAM_CALLBACK_TYPE_VECTOR
 *  +-----------+-------------------------------------+----------+
 * </pre>
 */
public final class HvmOp {
    private HvmOp() {
    }

    /** {@code HVMOP_set_param}: {@code xen_hvm_param {domid_t domid; u32 index; u64 value}}. */
    public static final int SET_PARAM = 0;
    /** {@code HVMOP_get_param}: the same structure, {@code value} written back. */
    public static final int GET_PARAM = 1;

    /** {@code HVM_PARAM_CALLBACK_IRQ}: how event-channel notifications are delivered. */
    public static final int PARAM_CALLBACK_IRQ = 0;
    /** {@code HVM_PARAM_STORE_PFN}. */
    public static final int PARAM_STORE_PFN = 1;
    /** {@code HVM_PARAM_STORE_EVTCHN}. */
    public static final int PARAM_STORE_EVTCHN = 2;
    /** {@code HVM_PARAM_PAE_ENABLED} (deprecated). */
    public static final int PARAM_PAE_ENABLED = 4;
    /** {@code HVM_PARAM_IOREQ_PFN}. */
    public static final int PARAM_IOREQ_PFN = 5;
    /** {@code HVM_PARAM_BUFIOREQ_PFN}. */
    public static final int PARAM_BUFIOREQ_PFN = 6;
    /** {@code HVM_PARAM_VIRIDIAN}. */
    public static final int PARAM_VIRIDIAN = 9;
    /** {@code HVM_PARAM_TIMER_MODE}. */
    public static final int PARAM_TIMER_MODE = 10;
    /** {@code HVM_PARAM_HPET_ENABLED}. */
    public static final int PARAM_HPET_ENABLED = 11;
    /** {@code HVM_PARAM_IDENT_PT}. */
    public static final int PARAM_IDENT_PT = 12;
    /** {@code HVM_PARAM_DM_DOMAIN} (deprecated). */
    public static final int PARAM_DM_DOMAIN = 13;
    /** {@code HVM_PARAM_ACPI_S_STATE}. */
    public static final int PARAM_ACPI_S_STATE = 14;
    /** {@code HVM_PARAM_VM86_TSS}. */
    public static final int PARAM_VM86_TSS = 15;
    /** {@code HVM_PARAM_VPT_ALIGN}. */
    public static final int PARAM_VPT_ALIGN = 16;
    /** {@code HVM_PARAM_CONSOLE_PFN}. */
    public static final int PARAM_CONSOLE_PFN = 17;
    /** {@code HVM_PARAM_CONSOLE_EVTCHN}. */
    public static final int PARAM_CONSOLE_EVTCHN = 18;
    /** {@code HVM_PARAM_ACPI_IOPORTS_LOCATION}. */
    public static final int PARAM_ACPI_IOPORTS_LOCATION = 19;
    /** {@code HVM_PARAM_MEMORY_EVENT_CR0} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_CR0 = 20;
    /** {@code HVM_PARAM_MEMORY_EVENT_CR3} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_CR3 = 21;
    /** {@code HVM_PARAM_MEMORY_EVENT_CR4} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_CR4 = 22;
    /** {@code HVM_PARAM_MEMORY_EVENT_INT3} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_INT3 = 23;
    /** {@code HVM_PARAM_NESTEDHVM} (deprecated). */
    public static final int PARAM_NESTEDHVM = 24;
    /** {@code HVM_PARAM_MEMORY_EVENT_SINGLE_STEP} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_SINGLE_STEP = 25;
    /** {@code HVM_PARAM_BUFIOREQ_EVTCHN} (deprecated). */
    public static final int PARAM_BUFIOREQ_EVTCHN = 26;
    /** {@code HVM_PARAM_PAGING_RING_PFN}. */
    public static final int PARAM_PAGING_RING_PFN = 27;
    /** {@code HVM_PARAM_MONITOR_RING_PFN}. */
    public static final int PARAM_MONITOR_RING_PFN = 28;
    /** {@code HVM_PARAM_SHARING_RING_PFN}. */
    public static final int PARAM_SHARING_RING_PFN = 29;
    /** {@code HVM_PARAM_MEMORY_EVENT_MSR} (deprecated). */
    public static final int PARAM_MEMORY_EVENT_MSR = 30;
    /** {@code HVM_PARAM_TRIPLE_FAULT_REASON}. */
    public static final int PARAM_TRIPLE_FAULT_REASON = 31;
    /** {@code HVM_PARAM_IOREQ_SERVER_PFN}. */
    public static final int PARAM_IOREQ_SERVER_PFN = 32;
    /** {@code HVM_PARAM_NR_IOREQ_SERVER_PAGES}. */
    public static final int PARAM_NR_IOREQ_SERVER_PAGES = 33;
    /** {@code HVM_PARAM_VM_GENERATION_ID_ADDR}. */
    public static final int PARAM_VM_GENERATION_ID_ADDR = 34;
    /** {@code HVM_PARAM_ALTP2M} (read-only to a guest). */
    public static final int PARAM_ALTP2M = 35;
    /** {@code HVM_PARAM_X87_FIP_WIDTH}. */
    public static final int PARAM_X87_FIP_WIDTH = 36;
    /** {@code HVM_PARAM_VM86_TSS_SIZED}. */
    public static final int PARAM_VM86_TSS_SIZED = 37;
    /** {@code HVM_PARAM_MCA_CAP}. */
    public static final int PARAM_MCA_CAP = 38;
    /** {@code HVM_NR_PARAMS}: an index at or above it is {@code -EINVAL}. */
    public static final int NR_PARAMS = 39;

    /** {@code HVM_PARAM_CALLBACK_IRQ_TYPE_MASK}: the type's bits, 63:56. */
    public static final long CALLBACK_IRQ_TYPE_MASK = 0xFF00_0000_0000_0000L;
    /** Where the type starts. */
    public static final int CALLBACK_IRQ_TYPE_SHIFT = 56;
    /** {@code HVM_PARAM_CALLBACK_TYPE_GSI}: bits 55:0 a GSI (0 turns notifications off). */
    public static final int CALLBACK_TYPE_GSI = 0;
    /** {@code HVM_PARAM_CALLBACK_TYPE_PCI_INTX}: a PCI INTx line. */
    public static final int CALLBACK_TYPE_PCI_INTX = 1;
    /** {@code HVM_PARAM_CALLBACK_TYPE_VECTOR}: bits 7:0 a vector, raised in the local APIC. */
    public static final int CALLBACK_TYPE_VECTOR = 2;

    /** The {@code HVM_PARAM_CALLBACK_IRQ} value for delivery at {@code vector}: {@code 2 << 56 | vector}. */
    public static long callbackVia(int vector) {
        return (long) CALLBACK_TYPE_VECTOR << CALLBACK_IRQ_TYPE_SHIFT | (vector & 0xFF);
    }
}
