package org.parasol.drivers.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The record of a back end's queues closing on other vCPUs, which dom0's power-off waits on. */
class ClosingQueuesTest {
    @Test
    @DisplayName("with no queue closing, a waiter runs at once")
    void shouldRunAWaiterAtOnceWhenNoneIsClosing() {
        ClosingQueues c = new ClosingQueues();
        List<String> ran = new ArrayList<>();

        c.whenNoneClosing(() -> ran.add("now"));

        assertThat(ran).containsExactly("now");
        assertThat(c.names()).isEmpty();
    }

    @Test
    @DisplayName("a waiter runs once, when the last closing queue has let go, not before; the names say what is left, in order")
    void shouldRunWaitersOnceTheLastQueueHasLetGo() {
        ClosingQueues c = new ClosingQueues();
        Object q0 = new Object();
        Object q1 = new Object();
        List<String> ran = new ArrayList<>();
        c.begin(q0, "vif1.0 queue 0 on vCPU 1");
        c.begin(q1, "vif1.0 queue 1 on vCPU 2");
        c.whenNoneClosing(() -> ran.add("a"));
        c.whenNoneClosing(() -> ran.add("b"));

        c.end(q1);
        assertThat(ran).isEmpty();
        assertThat(c.names()).containsExactly("vif1.0 queue 0 on vCPU 1");
        c.end(q0);
        assertThat(ran).containsExactly("a", "b");
        c.end(q0); // twice, or a queue never begun: nothing runs again
        c.begin(q0, "again");
        c.end(q0);
        assertThat(ran).containsExactly("a", "b");
    }
}
