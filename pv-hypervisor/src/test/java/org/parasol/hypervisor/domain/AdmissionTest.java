package org.parasol.hypervisor.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The admission check a create passes before anything is built: each shortfall named, with how much. */
class AdmissionTest {
    private static final DomainConfig TWO_MIB = DomainConfig.of("d", null, 2).withVcpus(2);

    @Test
    @DisplayName("a domain that fits is admitted")
    void shouldAdmitADomainThatFits() {
        assertThat(Admission.shortfalls(TWO_MIB, 10_000, 1L << 30, 100)).isEmpty();
    }

    @Test
    @DisplayName("too few free frames: refused, naming the pages needed (its own and shared_info), those free and the gap")
    void shouldNameTheMachineMemoryShortfall() {
        assertThat(Admission.shortfalls(TWO_MIB, 500, 1L << 30, 100))
                .containsExactly("machine memory: needs 513 pages (2052 KiB), 500 free, short by 13 (52 KiB)");
    }

    @Test
    @DisplayName("too little heap: refused, naming what the structures need, what is left and the gap")
    void shouldNameTheHeapShortfall() {
        assertThat(Admission.shortfalls(TWO_MIB, 10_000, 10 * 1024, 100)).singleElement().asString()
                .startsWith("JVM heap: needs about 56 KiB, 10 KiB left").contains("short by 46 KiB");
    }

    @Test
    @DisplayName("too few threads left: refused, naming the vCPUs' threads, those allowed and the gap")
    void shouldNameTheThreadShortfall() {
        assertThat(Admission.shortfalls(TWO_MIB, 10_000, 1L << 30, 1)).singleElement().asString()
                .startsWith("threads: needs 2 (a platform thread per vCPU), 1 more allowed").contains("short by 1");
    }

    @Test
    @DisplayName("every shortfall at once is named, machine memory first")
    void shouldNameEveryShortfall() {
        assertThat(Admission.shortfalls(TWO_MIB, 0, 0, 0)).hasSize(3).first().asString().startsWith("machine memory");
    }
}
