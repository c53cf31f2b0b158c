package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.Virq.VirqClass;

class EventChannelConstantsTest {

    @Test
    void shouldNumberEvtchnOpsAsXen() {
        // fact sheet §5.1 EVTCHNOP_* commands; BIND_PIRQ__WILL_SHARE
        assertExactly(EvtchnOp.class,
                "BIND_INTERDOMAIN", 0, "BIND_VIRQ", 1, "BIND_PIRQ", 2, "CLOSE", 3, "SEND", 4,
                "STATUS", 5, "ALLOC_UNBOUND", 6, "BIND_IPI", 7, "BIND_VCPU", 8, "UNMASK", 9,
                "RESET", 10, "INIT_CONTROL", 11, "EXPAND_ARRAY", 12, "SET_PRIORITY", 13,
                "RESET_CONT", 14, "BIND_PIRQ_WILL_SHARE", 1);
    }

    @Test
    void shouldNumberEvtchnStatAsXen() {
        // fact sheet §5.1 EVTCHNSTAT values
        assertExactly(EvtchnStat.class,
                "CLOSED", 0, "UNBOUND", 1, "INTERDOMAIN", 2, "PIRQ", 3, "VIRQ", 4, "IPI", 5);
    }

    @Test
    void shouldNumberVirqsAsXen() {
        // fact sheet §5.2 VIRQs, NR_VIRQS = 24, x86 VIRQ_MCA = VIRQ_ARCH_0 = 16
        assertExactly(Virq.class,
                "TIMER", 0, "DEBUG", 1, "CONSOLE", 2, "DOM_EXC", 3, "TBUF", 4, "DEBUGGER", 6,
                "XENOPROF", 7, "CON_RING", 8, "PCPU_STATE", 9, "MEM_EVENT", 10, "ARGO", 11,
                "ENOMEM", 12, "XENPMU", 13, "ARCH_0", 16, "MCA", 16, "ARCH_1", 17, "ARCH_2", 18,
                "ARCH_3", 19, "ARCH_4", 20, "ARCH_5", 21, "ARCH_6", 22, "ARCH_7", 23,
                "NR_VIRQS", 24);
    }

    @Test
    @DisplayName("VIRQ classes: V = per-vCPU, D = per-domain, G = global (fact sheet §5.2)")
    void shouldClassifyEachVirqAsTheFactSheet() {
        // fact sheet §5.2 class column
        assertThat(Virq.classOf(0)).isEqualTo(VirqClass.PER_VCPU);
        assertThat(Virq.classOf(1)).isEqualTo(VirqClass.PER_VCPU);
        assertThat(Virq.classOf(2)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(3)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(4)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(6)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(7)).isEqualTo(VirqClass.PER_VCPU);
        assertThat(Virq.classOf(8)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(9)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(10)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(11)).isEqualTo(VirqClass.PER_DOMAIN);
        assertThat(Virq.classOf(12)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.classOf(13)).isEqualTo(VirqClass.PER_VCPU);
        assertThat(Virq.classOf(16)).isEqualTo(VirqClass.GLOBAL);
        // Parasol's host relay takes x86's last free arch slot, as a global VIRQ (deviations §16)
        assertThat(Virq.classOf(23)).isEqualTo(VirqClass.GLOBAL);
        assertThat(Virq.name(23)).isEqualTo("VIRQ_PARASOL_HOST_RELAY");
    }

    @Test
    @DisplayName("VIRQ 5 is unused; 14, 15 and the x86-undefined arch slots Parasol does not use have no class")
    void shouldHaveNoClassForUndefinedVirqs() {
        for (int v : new int[] {-1, 5, 14, 15, 17, 18, 19, 20, 21, 22, 24, 1 << 20, Integer.MIN_VALUE}) {
            assertThat(Virq.classOf(v)).as("virq %d", v).isNull();
            assertThat(Virq.name(v)).as("virq %d", v).isNull();
        }
    }

    @Property
    void shouldNameExactlyTheClassifiedVirqs(@ForAll @IntRange(min = -64, max = 64) int virq) {
        assertThat(Virq.name(virq) == null).isEqualTo(Virq.classOf(virq) == null);
        if (Virq.classOf(virq) != null) {
            assertThat(virq).isBetween(0, Virq.NR_VIRQS - 1);
            assertThat(Virq.name(virq)).startsWith("VIRQ_");
        }
    }

    @Test
    void shouldNameVirqsInXensWords() {
        assertThat(Virq.name(0)).isEqualTo("VIRQ_TIMER");
        assertThat(Virq.name(16)).isEqualTo("VIRQ_MCA");
        assertThat(Virq.name(13)).isEqualTo("VIRQ_XENPMU");
    }

    @Test
    void shouldLayOutTheFifoEventWordAsXen() {
        // fact sheet §5.4 FIFO ABI
        assertExactly(EvtchnFifo.class,
                "PENDING", 31, "MASKED", 30, "LINKED", 29, "BUSY", 28,
                "LINK_BITS", 17, "LINK_MASK", 0x1FFFF, "NR_CHANNELS", 131072,
                "PRIORITY_MAX", 0, "PRIORITY_DEFAULT", 7, "PRIORITY_MIN", 15, "MAX_QUEUES", 16,
                "EVENT_WORDS_PER_PAGE", 1024, "MAX_EVENT_ARRAY_PAGES", 128,
                "CONTROL_BLOCK_SIZE", 72);
    }

    @Test
    void shouldCoverEveryFifoPortWithTheMaximumArray() {
        assertThat(EvtchnFifo.EVENT_WORDS_PER_PAGE * EvtchnFifo.MAX_EVENT_ARRAY_PAGES)
                .isEqualTo(EvtchnFifo.NR_CHANNELS);
    }

    @Test
    void shouldSizeTheTwoLevelAbiAsXen() {
        // fact sheet §5.3 EVTCHN_2L_NR_CHANNELS = 4096; §3.3 evtchn_pending[64] of 64-bit words
        assertExactly(Evtchn2l.class, "NR_CHANNELS", 4096, "BITS_PER_WORD", 64, "NR_WORDS", 64);
        assertThat(Evtchn2l.BITS_PER_WORD * Evtchn2l.NR_WORDS).isEqualTo(Evtchn2l.NR_CHANNELS);
    }
}
