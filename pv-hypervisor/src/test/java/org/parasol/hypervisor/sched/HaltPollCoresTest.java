package org.parasol.hypervisor.sched;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Which blocked vCPUs may halt-poll, and for how long: only on cores nobody else wants (the
 * free pCPUs, less the vCPUs woken from a parked block whose threads are on their way to one),
 * the newest poller first when there are more pollers than such cores.
 */
class HaltPollCoresTest {
    private static final long SLICE = 30_000_000L;

    private static final class Client implements CreditUnit.Client {
        @Override
        public boolean mayRun() {
            return true;
        }

        @Override
        public void preempt() {
        }
    }

    private final CreditScheduler s = new CreditScheduler(new ManualClock(), 2, SLICE, 50_000);

    private CreditUnit unit(int domid) {
        CreditDomain d = s.newDomain(domid);
        s.attach(d);
        return s.newUnit(d, 0, new Client());
    }

    @Test
    @DisplayName("a poller takes a core only while one is free and wanted by nobody: held pCPUs and woken vCPUs on their way count")
    void shouldPollOnlyOnCoresNobodyWants() {
        CreditUnit running = unit(1);
        CreditUnit woken = unit(2);
        CreditUnit blocked = unit(3);
        assertThat(s.tryPlace(running, false)).isTrue(); // one pCPU held, one free
        Cpupool pool = s.waking(woken); // woken from its sleep: its thread wants the free core
        assertThat(s.beginPoll(blocked)).as("the free core is the woken vCPU's").isZero();
        s.wokenPlaced(pool);
        long ticket = s.beginPoll(blocked);
        assertThat(ticket).as("a core no one wants").isPositive();
        assertThat(s.pollMayGoOn(s.pollPool(blocked), ticket)).isTrue();
        Cpupool again = s.waking(woken);
        assertThat(s.pollMayGoOn(s.pollPool(blocked), ticket)).as("a vCPU woke meanwhile: the poller leaves its core").isFalse();
        s.wokenPlaced(again);
        s.endPoll(s.pollPool(blocked));
        assertThat(s.waking(CreditScheduler.POOL0)).isZero();
        assertThat(s.pollers(CreditScheduler.POOL0)).isZero();
    }

    @Test
    @DisplayName("a unit waiting on the run queue ends every poll, and no poll begins while one waits")
    void shouldNotPollWhileAUnitWaits() {
        CreditUnit a = unit(1);
        CreditUnit b = unit(2);
        CreditUnit queued = unit(3);
        CreditUnit blocked = unit(4);
        s.tryPlace(a, false);
        long ticket = s.beginPoll(blocked);
        assertThat(ticket).isPositive();
        s.tryPlace(b, false); // both pCPUs held now
        assertThat(s.pollMayGoOn(s.pollPool(blocked), ticket)).isFalse();
        assertThat(s.tryPlace(queued, false)).isFalse(); // waits on the run queue
        s.endPoll(s.pollPool(blocked));
        s.release(a); // the queued unit takes the freed pCPU at once
        assertThat(queued.pcpu()).isNotNegative();
        s.release(b);
        assertThat(s.beginPoll(blocked)).as("one pCPU free, none waiting").isPositive();
        s.endPoll(s.pollPool(blocked));
    }

    @Test
    @DisplayName("more pollers than spare cores: the vCPU that blocked last polls on, the older ones leave")
    void shouldKeepTheNewestPoller() {
        CreditUnit running = unit(1);
        CreditUnit first = unit(2);
        CreditUnit second = unit(3);
        s.tryPlace(running, false); // one spare core
        long t1 = s.beginPoll(first);
        assertThat(s.pollMayGoOn(s.pollPool(first), t1)).isTrue();
        long t2 = s.beginPoll(second);
        assertThat(t2).as("a newer poller may start while a core is spare").isPositive();
        assertThat(s.pollMayGoOn(s.pollPool(second), t2)).isTrue();
        assertThat(s.pollMayGoOn(s.pollPool(first), t1)).as("the older poller leaves").isFalse();
        s.endPoll(s.pollPool(first));
        assertThat(s.pollMayGoOn(s.pollPool(second), t2)).isTrue();
        s.release(running); // two spare cores: both could poll
        long t3 = s.beginPoll(first);
        assertThat(s.pollMayGoOn(s.pollPool(first), t3)).isTrue();
        assertThat(s.pollMayGoOn(s.pollPool(second), t2)).isTrue();
        s.endPoll(s.pollPool(first));
        s.endPoll(s.pollPool(second));
        assertThat(s.pollers(CreditScheduler.POOL0)).isZero();
    }
}
