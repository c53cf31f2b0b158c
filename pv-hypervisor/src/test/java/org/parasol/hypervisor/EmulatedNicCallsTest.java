package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.Errno;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The three privileged calls that wire an emulated NE2000 to dom0's bridge (deviation 36), called
 * by domains that may not use them or with what they may not pass: an unprivileged domain gets
 * -EPERM for each, even naming a native domain with a card; a privileged one gets -ESRCH for no
 * such domain, -EINVAL for a multicast or short MAC, a paravirtual target or a frame shorter than
 * an Ethernet header, -EEXIST for a second card, and -ESRCH for a card another domain serves.
 */
class EmulatedNicCallsTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static final byte[] MAC = {0x00, 0x16, 0x3e, 0x01, 0x02, 0x03};

    private Hypervisor hv;
    private BareGuest target;
    private BareGuest dom0ish;
    private BareGuest other;
    private BareGuest pv;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        target = BareGuest.create(hv, new DomainConfig("native", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
        dom0ish = BareGuest.create(hv, privileged("dom0ish"));
        other = BareGuest.create(hv, privileged("driverdom"));
        pv = BareGuest.create(hv, "pv", 8192);
    }

    private static DomainConfig privileged(String name) {
        return new DomainConfig(name, 8192, 8192, 1, null, "", true, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
    }

    @AfterEach
    void close() {
        hv.close();
    }

    @Test
    @DisplayName("an unprivileged domain is refused -EPERM by all three calls, before anything is looked up")
    void shouldRefuseAnUnprivilegedCaller() {
        int domid = target.domain.domid();
        assertThat(dom0ish.cpu.attachEmulatedNic(domid, MAC)).as("the card, attached by dom0").isPositive();

        assertThat(pv.cpu.attachEmulatedNic(domid, MAC)).isEqualTo(-Errno.EPERM);
        assertThat(pv.cpu.attachEmulatedNic(4000, null)).isEqualTo(-Errno.EPERM);
        assertThat(pv.cpu.emulatedNicDeliver(domid, pv.scratch, 60)).isEqualTo(-Errno.EPERM);
        assertThat(pv.cpu.emulatedNicTake(domid, pv.scratch)).isEqualTo(-Errno.EPERM);
        assertThat(target.cpu.emulatedNicTake(domid, target.scratch)).as("not even its own card's wire").isEqualTo(-Errno.EPERM);
    }

    @Test
    @DisplayName("a privileged caller: -ESRCH, -EINVAL, -EEXIST where Xen's toolstack calls would refuse, and no card"
            + " another domain serves")
    void shouldRefuseBadArgumentsFromAPrivilegedCaller() {
        int domid = target.domain.domid();
        assertThat(dom0ish.cpu.attachEmulatedNic(4000, MAC)).isEqualTo(-Errno.ESRCH);
        assertThat(dom0ish.cpu.attachEmulatedNic(domid, new byte[] {0x01, 0, 0, 0, 0, 1})).as("multicast").isEqualTo(-Errno.EINVAL);
        assertThat(dom0ish.cpu.attachEmulatedNic(domid, new byte[5])).isEqualTo(-Errno.EINVAL);
        assertThat(dom0ish.cpu.attachEmulatedNic(domid, null)).isEqualTo(-Errno.EINVAL);
        assertThat(dom0ish.cpu.attachEmulatedNic(pv.domain.domid(), MAC)).as("a paravirtual domain").isEqualTo(-Errno.EINVAL);
        assertThat(dom0ish.cpu.emulatedNicTake(domid, dom0ish.scratch)).as("no card yet").isEqualTo(-Errno.ESRCH);

        assertThat(dom0ish.cpu.attachEmulatedNic(domid, MAC)).isPositive();
        assertThat(dom0ish.cpu.attachEmulatedNic(domid, MAC)).isEqualTo(-Errno.EEXIST);
        assertThat(dom0ish.cpu.emulatedNicDeliver(domid, dom0ish.scratch, 13)).as("shorter than a header").isEqualTo(-Errno.EINVAL);
        assertThat(dom0ish.cpu.emulatedNicTake(domid, dom0ish.scratch)).as("nothing sent yet").isZero();
        assertThat(other.cpu.emulatedNicTake(domid, other.scratch)).as("served by dom0ish, not this one").isEqualTo(-Errno.ESRCH);
        assertThat(other.cpu.emulatedNicDeliver(domid, other.scratch, 60)).isEqualTo(-Errno.ESRCH);
        assertThat(hv.unhandledExceptions()).isZero();
    }
}
