package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** dom0's {@code xen_netback.*} options, in Linux's module-parameter spelling. */
class NetBackendOptionsTest {
    @Test
    void shouldReadTheOptionsAndDefaultAsLinux() {
        assertThat(NetBackend.Options.parse("console=hvc0")).isEqualTo(new NetBackend.Options(false, 10_000));
        assertThat(NetBackend.Options.parse(" xen_netback.tx_map=1  xen_netback.rx_drain_timeout_msecs=250 "))
                .isEqualTo(new NetBackend.Options(true, 250));
    }

    @Test
    void shouldRefuseADrainTimeoutThatIsNotANumberInRange() {
        for (String bad : new String[] {"0", "-5", "3600001", "ten", "", "+5", "99999999999999999999"}) {
            assertThatThrownBy(() -> NetBackend.Options.parse("xen_netback.rx_drain_timeout_msecs=" + bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("xen_netback.rx_drain_timeout_msecs is 1..3600000");
        }
        assertThatThrownBy(() -> NetBackend.Options.parse("xen_netback.tx_map=2")).hasMessageContaining("0 or 1");
    }
}
