package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.domain.DomainConfig;

/**
 * The boot module {@code parasol run} writes for dom0. The CLI may not see dom0's code, so
 * both sides are pinned to the same golden text: this test checks the CLI writes it, and
 * pv-toolstack's {@code DomainListTest.shouldReadTheCliGoldenModule} that dom0 reads it back.
 */
class Dom0ModuleTest {
    /** Also in DomainListTest: change both or neither. */
    static final String GOLDEN = """
            # parasol run: the domains dom0 builds, one a line
            name=web-1 image=hello memory=8192 maxmem=16384 vcpus=2 cmdline=console%3dhvc0%20q%3d%22a%20b%22%20100%25 \
            on_poweroff=destroy on_reboot=restart on_crash=preserve
            name=hello image=hello memory=4096 maxmem=4096 vcpus=1 cmdline= on_poweroff=destroy on_reboot=destroy \
            on_crash=destroy
            name=ping image=pingpong memory=4096 maxmem=4096 vcpus=1 cmdline=rounds%3d5 on_poweroff=destroy \
            on_reboot=destroy on_crash=destroy device=pingpong%3abackend%3dhello
            """;

    @Test
    @DisplayName("every domain is one line: name, image, memory, maxmem, vCPUs, the escaped command line, on_* actions, "
            + "and a device= word per split device")
    void shouldWriteTheGoldenModule() {
        DomainConfig web = new DomainConfig("web-1", 8192, 16384, 2, "hello", "console=hvc0 q=\"a b\" 100%", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
        DomainConfig plain = DomainConfig.of("hello", "hello", 4);

        Dom0Module module = new Dom0Module()
                .add(web, DomainConfig.Action.DESTROY, DomainConfig.Action.RESTART, DomainConfig.Action.PRESERVE)
                .add(plain, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY)
                .add(DomainConfig.of("ping", "pingpong", 4).withCmdline("rounds=5"), DomainConfig.Action.DESTROY,
                        DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, List.of("pingpong:backend=hello"));

        assertThat(module.domains()).isEqualTo(3);
        assertThat(new String(module.bytes(), StandardCharsets.UTF_8)).isEqualTo(GOLDEN);
    }

    @Test
    @DisplayName("an xl.cfg's scheduling keys become words dom0 reads: cpu_weight, cap, pool by id, cpus, cpus_soft")
    void shouldWriteSchedulingWords() {
        Dom0Module module = new Dom0Module().add(DomainConfig.of("w", "hello", 4), DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, List.of(),
                new XlDomain.Scheduling(512, 50, "fast", "0-1,3", "1"), 1);

        assertThat(new String(module.bytes(), StandardCharsets.UTF_8))
                .contains(" cpu_weight=512 cap=50 pool=1 cpus=0-1%2c3 cpus_soft=1\n");
        Dom0Module plain = new Dom0Module().add(DomainConfig.of("p", "hello", 4), DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY);
        assertThat(new String(plain.bytes(), StandardCharsets.UTF_8)).doesNotContain("cpu_weight").doesNotContain("pool=");
    }

    @Test
    @DisplayName("a command line dom0 could not take is refused before anything boots")
    void shouldRefuseWhatDom0WouldRefuse() {
        DomainConfig accented = new DomainConfig("x", 4096, 4096, 1, "hello", "caf\u00e9", false, null, null, null);
        assertThatThrownBy(() -> new Dom0Module().add(accented, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("printable ASCII");
    }
}
