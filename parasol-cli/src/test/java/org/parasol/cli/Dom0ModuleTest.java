package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.toolstack.dom0.DomainList;
import org.parasol.toolstack.dom0.DomainSpec;

/** The boot module {@code parasol run} writes is what dom0 reads: the format lives on both sides. */
class Dom0ModuleTest {

    @Test
    @DisplayName("dom0 reads back every domain the CLI writes: name, image, memory, maxmem, vCPUs, command line, on_* actions")
    void shouldBeReadByDom0AsWritten() {
        DomainConfig web = new DomainConfig("web-1", 8192, 16384, 2, "hello", "console=hvc0 q=\"a b\" 100%", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
        DomainConfig plain = DomainConfig.of("hello", "hello", 4);

        Dom0Module module = new Dom0Module()
                .add(web, DomainConfig.Action.DESTROY, DomainConfig.Action.RESTART, DomainConfig.Action.PRESERVE)
                .add(plain, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY);

        assertThat(module.domains()).isEqualTo(2);
        List<DomainSpec> read = DomainList.parse(module.bytes());
        assertThat(read).containsExactly(
                new DomainSpec("web-1", "hello", 8192, 16384, 2, "console=hvc0 q=\"a b\" 100%", DomainSpec.Action.DESTROY,
                        DomainSpec.Action.RESTART, DomainSpec.Action.PRESERVE),
                new DomainSpec("hello", "hello", 4096, 4096, 1, "", DomainSpec.Action.DESTROY, DomainSpec.Action.DESTROY,
                        DomainSpec.Action.DESTROY));
        assertThat(Dom0Module.escape("a b=c")).isEqualTo(DomainList.escape("a b=c")).isEqualTo("a%20b%3dc");
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
