package org.parasol.guest.pvops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.struct.VcpuTimeInfo;

/**
 * The guest's clock reads what the hypervisor publishes: the test writes shared_info with the
 * hypervisor's side of the same flyweights (the seqlock writers) over the memory the clock
 * reads through its own mapping, as vCPU 1.
 */
class PvClockTest {
    private static final long SHARED = FakeGuest.BASE + 0x3000;

    private final FakeGuest guest = new FakeGuest();
    private final SharedInfo hypervisorSide =
            new SharedInfo().wrap(new SegmentBuffer(guest.segment.asSlice(SHARED - FakeGuest.BASE, 4096)), 0);
    private long tsc;
    private final Cpu vcpu1 = new Cpu() {
        @Override
        public long hypercall(int nr, long a1, long a2, long a3, long a4, long a5) {
            return guest.hypercall(nr, a1, a2, a3, a4, a5);
        }

        @Override
        public int vcpuId() {
            return 1;
        }

        @Override
        public GuestMemory memory() {
            return guest;
        }

        @Override
        public long registerCode(GuestCode code) {
            return guest.registerCode(code);
        }

        @Override
        public long rdtsc() {
            return tsc;
        }
    };

    @Test
    @DisplayName("system time = system_time + scale_delta(rdtsc - tsc_timestamp), from this vCPU's vcpu_time_info")
    void shouldReadThisVcpusTimeRecord() {
        // A 2 GHz TSC: half a nanosecond per tick is mul 2^31, shift 0.
        hypervisorSide.vcpuInfo(1, new VcpuInfo()).time()
                .publish(1_000_000, 5_000, 1L << 31, 0, VcpuTimeInfo.XEN_PVCLOCK_TSC_STABLE_BIT);
        hypervisorSide.vcpuInfo(0, new VcpuInfo()).time().publish(0, 999_999_999, 1L << 31, 0, 0);
        PvClock clock = new PvClock(vcpu1, SHARED);

        tsc = 1_002_000;
        assertThat(clock.systemTime()).isEqualTo(6_000);
        tsc = 1_000_000;
        assertThat(clock.systemTime()).isEqualTo(5_000);
    }

    @Test
    @DisplayName("the reader sees a new update as soon as the version is even again")
    void shouldFollowUpdatesOfTheSeqlock() {
        VcpuTimeInfo time = hypervisorSide.vcpuInfo(1, new VcpuInfo()).time();
        time.publish(0, 100, 1L << 31, 1, 0); // 2^31 after doubling the delta: one ns per tick
        PvClock clock = new PvClock(vcpu1, SHARED);
        tsc = 10;
        assertThat(clock.systemTime()).isEqualTo(100 + 10);

        time.publish(10, 7_000, 1L << 31, 0, 0);
        assertThat(time.versionAcquire()).isEqualTo(4);
        tsc = 30;
        assertThat(clock.systemTime()).isEqualTo(7_000 + 10);
    }

    @Test
    @DisplayName("the wall clock is wc_sec_hi:wc_sec seconds and wc_nsec nanoseconds, under wc_version")
    void shouldReadTheWallClock() {
        hypervisorSide.publishWallclock(0x1_0000_0002L, 3);
        PvClock clock = new PvClock(vcpu1, SHARED);

        assertThat(clock.wallClockAtBoot()).isEqualTo(0x1_0000_0002L * 1_000_000_000L + 3);
    }
}
