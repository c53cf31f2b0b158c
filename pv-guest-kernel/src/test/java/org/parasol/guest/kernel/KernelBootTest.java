package org.parasol.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.struct.StartInfo;

class KernelBootTest {

    @Test
    @DisplayName("start_info.magic must begin with xen-3.0-x86_64: otherwise nothing in it is trusted, no hypercall is made")
    void shouldRefuseAStartInfoWithoutTheMagic() {
        FakeGuest guest = new FakeGuest();
        byte[] magic = "xen-3.0-x86_32p".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < magic.length; i++) {
            guest.putByte(FakeGuest.BASE + StartInfo.MAGIC_OFFSET + i, magic[i]);
        }
        assertThatThrownBy(() -> Kernel.boot(guest, FakeGuest.BASE, k -> null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("xen-3.0-x86_32p");
        assertThat(guest.calls).isEmpty();
    }
}
