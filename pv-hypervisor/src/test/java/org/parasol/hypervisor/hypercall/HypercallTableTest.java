package org.parasol.hypervisor.hypercall;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;

/**
 * The table's answers without a vCPU: a number it has no handler for answers -ENOSYS (touching
 * nothing), and a number {@link HypercallTable#register} installs is dispatched to what was
 * installed. That every implemented number reaches its own handler is what each family's tests
 * check through real vCPUs.
 */
class HypercallTableTest {

    @Test
    @DisplayName("every number without a handler answers -ENOSYS, touching nothing")
    void shouldAnswerEnosysForEveryUnimplementedNumber() {
        HypercallTable t = new HypercallTable();
        int implemented = 0;
        for (int nr = 0; nr < Hypercall.TABLE_SIZE; nr++) {
            if (t.implemented(nr)) {
                implemented++;
                continue;
            }
            assertThat(t.dispatch(null, nr, 1, 2, 3, 4, 5)).as("hypercall %d", nr).isEqualTo(-Errno.ENOSYS);
        }
        assertThat(implemented).as("families Parasol implements (hvm_op the 19th)").isEqualTo(19);
    }

    @Test
    @DisplayName("a registered handler replaces the built-in one for its number, and adds one where there was none")
    void shouldDispatchWhatRegisterInstalled() {
        HypercallTable t = new HypercallTable();
        t.register(Hypercall.XEN_VERSION, (v, a1, a2, a3, a4, a5) -> 4242);
        t.register(Hypercall.ARCH_0, (v, a1, a2, a3, a4, a5) -> a1 + a5);

        assertThat(t.dispatch(null, Hypercall.XEN_VERSION, 0, 0, 0, 0, 0)).isEqualTo(4242);
        assertThat(t.dispatch(null, Hypercall.ARCH_0, 40, 0, 0, 0, 2)).isEqualTo(42);
        assertThat(t.dispatch(null, Hypercall.ARCH_1, 0, 0, 0, 0, 0)).isEqualTo(-Errno.ENOSYS);
    }
}
