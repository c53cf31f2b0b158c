package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.Test;

class SchedAndMemoryConstantsTest {

    @Test
    void shouldNumberSchedOpsAsXen() {
        // fact sheet §7 sched_op commands; poll nr_ports > 128 -> -EINVAL; max 2 watchdogs
        assertExactly(SchedOp.class,
                "YIELD", 0, "BLOCK", 1, "SHUTDOWN", 2, "POLL", 3, "REMOTE_SHUTDOWN", 4,
                "SHUTDOWN_CODE", 5, "WATCHDOG", 6, "PIN_OVERRIDE", 7,
                "POLL_MAX_PORTS", 128, "NR_WATCHDOGS", 2);
    }

    @Test
    void shouldNumberShutdownReasonsAsXen() {
        // fact sheet §7 shutdown reasons
        assertExactly(Shutdown.class,
                "POWEROFF", 0, "REBOOT", 1, "SUSPEND", 2, "CRASH", 3, "WATCHDOG", 4,
                "SOFT_RESET", 5, "MAX", 5);
    }

    @Test
    void shouldNameShutdownReasons() {
        // fact sheet §7
        assertThat(Shutdown.name(0)).isEqualTo("poweroff");
        assertThat(Shutdown.name(1)).isEqualTo("reboot");
        assertThat(Shutdown.name(2)).isEqualTo("suspend");
        assertThat(Shutdown.name(3)).isEqualTo("crash");
        assertThat(Shutdown.name(4)).isEqualTo("watchdog");
        assertThat(Shutdown.name(5)).isEqualTo("soft_reset");
        assertThat(Shutdown.name(6)).isNull();
        assertThat(Shutdown.name(-1)).isNull();
    }

    @Test
    void shouldNumberMemoryOpsAsXen() {
        // fact sheet §8 memory_op commands, XENMEMF_* bits, XENMAPSPACE_*, cmd mask 0x3F,
        // restart index in cmd >> 6
        assertExactly(MemoryOp.class,
                "INCREASE_RESERVATION", 0, "DECREASE_RESERVATION", 1, "MAXIMUM_RAM_PAGE", 2,
                "CURRENT_RESERVATION", 3, "MAXIMUM_RESERVATION", 4, "MACHPHYS_MFN_LIST", 5,
                "POPULATE_PHYSMAP", 6, "ADD_TO_PHYSMAP", 7, "MEMORY_MAP", 9,
                "MACHINE_MEMORY_MAP", 10, "EXCHANGE", 11, "MACHPHYS_MAPPING", 12,
                "SET_MEMORY_MAP", 13, "MAXIMUM_GPFN", 14, "REMOVE_FROM_PHYSMAP", 15,
                "SET_POD_TARGET", 16, "GET_POD_TARGET", 17, "PAGING_OP", 20, "ACCESS_OP", 21,
                "SHARING_OP", 22, "ADD_TO_PHYSMAP_BATCH", 23, "CLAIM_PAGES", 24,
                "MACHPHYS_COMPAT_MFN_LIST", 25, "GET_VNUMAINFO", 26,
                "RESERVED_DEVICE_MEMORY_MAP", 27, "ACQUIRE_RESOURCE", 28,
                "MEMOP_CMD_MASK", 0x3F, "MEMOP_EXTENT_SHIFT", 6,
                "XENMEMF_ADDRESS_BITS_MASK", 0xFF, "XENMEMF_NODE_SHIFT", 8, "XENMEMF_NODE_MASK", 0xFF,
                "XENMEMF_POPULATE_ON_DEMAND", 1 << 16, "XENMEMF_EXACT_NODE_REQUEST", 1 << 17,
                "XENMEMF_VNODE", 1 << 18,
                "XENMAPSPACE_SHARED_INFO", 0, "XENMAPSPACE_GRANT_TABLE", 1, "XENMAPSPACE_GMFN", 2,
                "XENMAPSPACE_GMFN_RANGE", 3, "XENMAPSPACE_GMFN_FOREIGN", 4, "XENMAPSPACE_DEV_MMIO", 5,
                "XENMAPIDX_GRANT_TABLE_STATUS", 0x80000000);
    }

    @Test
    void shouldSplitAContinuedMemoryOpIntoCommandAndExtent() {
        // fact sheet §8: restart index in cmd >> 6, command in cmd & 0x3F
        int cmd = (1234 << MemoryOp.MEMOP_EXTENT_SHIFT) | MemoryOp.POPULATE_PHYSMAP;
        assertThat(cmd & MemoryOp.MEMOP_CMD_MASK).isEqualTo(MemoryOp.POPULATE_PHYSMAP);
        assertThat(cmd >>> MemoryOp.MEMOP_EXTENT_SHIFT).isEqualTo(1234);
        assertThat(MemoryOp.ACQUIRE_RESOURCE).isLessThanOrEqualTo(MemoryOp.MEMOP_CMD_MASK);
    }
}
