package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The host initializes what guests could otherwise be first to initialize, once, without failures. */
class GuestVisibleClassesTest {
    @Test
    @DisplayName("every listed class, its nested classes, the list's internals and hypercall-api initialize at host start without a failure")
    void shouldInitializeEveryGuestVisibleClass() {
        GuestVisibleClasses.Report report = GuestVisibleClasses.initializeAll();
        List<String> api = GuestVisibleClasses.hypercallApiClasses();

        System.out.printf("[host init] %d classes initialized in %.1f ms (first call in this JVM)%n",
                report.classes(), report.nanos() / 1e6);
        assertThat(report.failures()).isEmpty();
        assertThat(api).contains("org.parasol.hypercall.Cpu", "org.parasol.hypercall.struct.StartInfo")
                .allMatch(n -> n.startsWith("org.parasol.hypercall."));
        assertThat(report.classes()).isGreaterThan(GuestJdkApi.standard().classNames().size() + api.size());
        assertThat(GuestVisibleClasses.classesOf(GuestVisibleClasses.class, "org/parasol/hypervisor/"))
                .as("the hypervisor's own classes, first used on guest threads at the guest's depth")
                .contains("org.parasol.hypervisor.mm.TrapRecord", "org.parasol.hypervisor.domain.Vcpu");
    }

    @Test
    @DisplayName("initializeAll is idempotent: later calls return the first call's report")
    void shouldDoTheWorkOnce() {
        GuestVisibleClasses.Report first = GuestVisibleClasses.initializeAll();

        assertThat(GuestVisibleClasses.initializeAll()).isSameAs(first);
    }
}
