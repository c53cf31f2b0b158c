package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;

class HypercallAndErrnoTest {

    @Test
    void shouldNumberEveryHypercallAsXen() {
        // fact sheet §1.1 __HYPERVISOR_* numbers; x86 arch_0 = mca; 128-stub hypercall page (§1.3)
        assertExactly(Hypercall.class,
                "SET_TRAP_TABLE", 0, "MMU_UPDATE", 1, "SET_GDT", 2, "STACK_SWITCH", 3,
                "SET_CALLBACKS", 4, "FPU_TASKSWITCH", 5, "SCHED_OP_COMPAT", 6, "PLATFORM_OP", 7,
                "SET_DEBUGREG", 8, "GET_DEBUGREG", 9, "UPDATE_DESCRIPTOR", 10, "MEMORY_OP", 12,
                "MULTICALL", 13, "UPDATE_VA_MAPPING", 14, "SET_TIMER_OP", 15,
                "EVENT_CHANNEL_OP_COMPAT", 16, "XEN_VERSION", 17, "CONSOLE_IO", 18,
                "PHYSDEV_OP_COMPAT", 19, "GRANT_TABLE_OP", 20, "VM_ASSIST", 21,
                "UPDATE_VA_MAPPING_OTHERDOMAIN", 22, "IRET", 23, "VCPU_OP", 24,
                "SET_SEGMENT_BASE", 25, "MMUEXT_OP", 26, "XSM_OP", 27, "NMI_OP", 28,
                "SCHED_OP", 29, "CALLBACK_OP", 30, "XENOPROF_OP", 31, "EVENT_CHANNEL_OP", 32,
                "PHYSDEV_OP", 33, "HVM_OP", 34, "SYSCTL", 35, "DOMCTL", 36, "KEXEC_OP", 37,
                "TMEM_OP", 38, "ARGO_OP", 39, "XENPMU_OP", 40, "DM_OP", 41, "HYPFS_OP", 42,
                "ARCH_0", 48, "MCA", 48, "ARCH_1", 49, "ARCH_2", 50, "ARCH_3", 51, "ARCH_4", 52,
                "ARCH_5", 53, "ARCH_6", 54, "ARCH_7", 55, "TABLE_SIZE", 128);
    }

    @Test
    void shouldNameHypercallsInXensWords() {
        // fact sheet §1.1 names
        assertThat(Hypercall.name(0)).isEqualTo("set_trap_table");
        assertThat(Hypercall.name(20)).isEqualTo("grant_table_op");
        assertThat(Hypercall.name(29)).isEqualTo("sched_op");
        assertThat(Hypercall.name(32)).isEqualTo("event_channel_op");
        assertThat(Hypercall.name(42)).isEqualTo("hypfs_op");
        assertThat(Hypercall.name(48)).isEqualTo("arch_0");
    }

    @Test
    @DisplayName("hypercalls 11 and 43-47 are not defined (fact sheet §1.1)")
    void shouldLeaveUnusedSlotsUndefined() {
        int defined = 0;
        for (int nr = -1; nr <= Hypercall.TABLE_SIZE; nr++) {
            boolean undefined = nr < 0 || nr == 11 || (nr >= 43 && nr <= 47) || nr > 55;
            assertThat(Hypercall.name(nr) == null).as("nr %d", nr).isEqualTo(undefined);
            if (!undefined) {
                defined++;
            }
        }
        assertThat(defined).isEqualTo(56 - 1 - 5);
    }

    @Test
    void shouldNumberErrnosAsXen() {
        // fact sheet §2 public/errno.h (values match x86 Linux; 15 ENOTBLK absent)
        assertExactly(Errno.class,
                "EPERM", 1, "ENOENT", 2, "ESRCH", 3, "EINTR", 4, "EIO", 5, "ENXIO", 6,
                "E2BIG", 7, "ENOEXEC", 8, "EBADF", 9, "ECHILD", 10, "EAGAIN", 11,
                "EWOULDBLOCK", 11, "ENOMEM", 12, "EACCES", 13, "EFAULT", 14, "EBUSY", 16,
                "EEXIST", 17, "EXDEV", 18, "ENODEV", 19, "ENOTDIR", 20, "EISDIR", 21,
                "EINVAL", 22, "ENFILE", 23, "EMFILE", 24, "ENOSPC", 28, "EROFS", 30,
                "EMLINK", 31, "EDOM", 33, "ERANGE", 34, "EDEADLK", 35, "EDEADLOCK", 35,
                "ENAMETOOLONG", 36, "ENOLCK", 37, "ENOSYS", 38, "ENOTEMPTY", 39,
                "ENODATA", 61, "ETIME", 62, "EBADMSG", 74, "EOVERFLOW", 75, "EILSEQ", 84,
                "ERESTART", 85, "ENOTSOCK", 88, "EMSGSIZE", 90, "EOPNOTSUPP", 95,
                "EADDRINUSE", 98, "EADDRNOTAVAIL", 99, "ENOBUFS", 105, "EISCONN", 106,
                "ENOTCONN", 107, "ETIMEDOUT", 110, "ECONNREFUSED", 111);
    }

    @Test
    void shouldNameErrnosWhetherNegatedOrNot() {
        assertThat(Errno.name(22)).isEqualTo("EINVAL");
        assertThat(Errno.name(-22)).isEqualTo("EINVAL");
        assertThat(Errno.name(-11)).isEqualTo("EAGAIN");
        assertThat(Errno.name(15)).as("ENOTBLK is not in Xen's list").isNull();
        assertThat(Errno.name(0)).isNull();
    }
}
