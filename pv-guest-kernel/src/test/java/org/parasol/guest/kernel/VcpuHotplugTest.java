package org.parasol.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakePvOps;
import org.parasol.guest.sched.RunLoop;

/**
 * vCPU hot-plug's state machine against fake vCPUs that go down only when they get to their
 * "play dead" task, as a real vCPU does at its next safe point.
 */
class VcpuHotplugTest {
    private final FakePvOps ops = new FakePvOps();
    private final RunLoop loop = new RunLoop(ops, e -> {
        throw new AssertionError(e);
    });
    private final List<String> said = new ArrayList<>();
    private final Fake vcpus = new Fake();
    private final VcpuHotplug hp = new VcpuHotplug(null, loop, vcpus, said::add);

    /** The hypervisor's view: which vCPUs are up, and what is waiting to run on them. */
    final class Fake implements VcpuHotplug.Vcpus {
        final boolean[] up = new boolean[VcpuHotplug.MAX_VCPUS];
        final boolean[] deadPending = new boolean[VcpuHotplug.MAX_VCPUS];
        final List<Runnable> starting = new ArrayList<>();
        final List<Runnable> later = new ArrayList<>();
        int starts;
        int ups;

        Fake() {
            up[0] = true;
        }

        @Override
        public void start(int k, Runnable started) {
            starts++;
            starting.add(() -> {
                up[k] = true;
                started.run();
            });
        }

        @Override
        public void playDead(int k) {
            deadPending[k] = true;
        }

        @Override
        public long isUp(int k) {
            return up[k] ? 1 : 0;
        }

        @Override
        public long up(int k) {
            ups++;
            up[k] = true;
            return 0;
        }

        @Override
        public void after(long ns, Runnable action) {
            later.add(action);
        }

        /** Lets the vCPUs run: the started ones report in, the ones told to play dead go down. */
        void run() {
            for (int round = 0; round < 50 && (!starting.isEmpty() || !later.isEmpty() || anyDeadPending()); round++) {
                List<Runnable> s = new ArrayList<>(starting);
                starting.clear();
                s.forEach(Runnable::run);
                for (int k = 0; k < up.length; k++) {
                    if (deadPending[k]) {
                        deadPending[k] = false;
                        up[k] = false;
                    }
                }
                List<Runnable> l = new ArrayList<>(later);
                later.clear();
                l.forEach(Runnable::run);
            }
        }

        private boolean anyDeadPending() {
            for (boolean b : deadPending) {
                if (b) {
                    return true;
                }
            }
            return false;
        }

        int upCount() {
            int n = 0;
            for (boolean b : up) {
                n += b ? 1 : 0;
            }
            return n;
        }
    }

    @Test
    @DisplayName("cpu_hotplug.c: online starts a vCPU once; offline has it go down at its safe point; online again is VCPUOP_up")
    void shouldBringUpTakeDownAndResume() {
        hp.availability(1, "online");
        hp.availability(2, "offline");
        vcpus.run();
        assertThat(vcpus.upCount()).isEqualTo(2);
        assertThat(hp.online()).isEqualTo(2);
        assertThat(said).as("the boot's bring-up is not announced").isEmpty();

        hp.availability(1, "offline");
        assertThat(hp.state(1)).isEqualTo(VcpuHotplug.GOING_DOWN);
        vcpus.run();
        assertThat(hp.state(1)).isEqualTo(VcpuHotplug.DOWN);
        assertThat(vcpus.up[1]).isFalse();

        hp.availability(1, "online");
        vcpus.run();
        assertThat(vcpus.up[1]).isTrue();
        assertThat(vcpus.starts).as("initialised once only").isEqualTo(1);
        assertThat(vcpus.ups).isEqualTo(1);
        assertThat(said).containsExactly("cpu hotplug: vCPU 1 down", "cpu hotplug: vCPU 1 up");
    }

    @Test
    @DisplayName("online while the vCPU is still going down: it is brought up once it is down, never left down")
    void shouldNotLoseAnOnlineThatRacesTheWayDown() {
        hp.availability(3, "online");
        vcpus.run();
        hp.availability(3, "offline");
        hp.availability(3, "online"); // before vCPU 3 reached its safe point
        vcpus.run();
        assertThat(vcpus.up[3]).isTrue();
        assertThat(hp.state(3)).isEqualTo(VcpuHotplug.ONLINE);
    }

    @Test
    @DisplayName("vCPU 0 stays online; values other than online/offline are ignored with a line")
    void shouldRefuseToOfflineVcpu0AndIgnoreGarbage() {
        hp.availability(0, "offline");
        hp.availability(1, "onl\u0000ine");
        hp.availability(2, "");
        vcpus.run();
        assertThat(vcpus.upCount()).isEqualTo(1);
        assertThat(said).hasSize(3);
        assertThat(said.get(0)).isEqualTo("cpu hotplug: vCPU 0 stays online");
        assertThat(said.get(1)).doesNotContain("\u0000");
    }

    @Test
    void shouldReadOnlySmallDecimalVcpuNumbers() {
        assertThat(VcpuHotplug.vcpuNumber("0")).isZero();
        assertThat(VcpuHotplug.vcpuNumber("31")).isEqualTo(31);
        for (String bad : List.of("", "32", "99", "-1", "+1", "1a", "007", " 1", "\u0661")) {
            assertThat(VcpuHotplug.vcpuNumber(bad)).as("'%s'", bad).isEqualTo(-1);
        }
    }

    @Provide
    Arbitrary<List<int[]>> requests() {
        return Arbitraries.integers().between(0, 7).flatMap(k -> Arbitraries.integers().between(0, 2)
                .map(v -> new int[] {k, v})).list().ofMaxSize(40);
    }

    @Property(tries = 100)
    @Label("any order of online/offline writes, with the vCPUs running in between or not: each ends as last asked")
    void shouldEndAsLastAsked(@ForAll("requests") List<int[]> requests) {
        FakePvOps o = new FakePvOps();
        RunLoop l = new RunLoop(o, e -> {
            throw new AssertionError(e);
        });
        Fake f = new Fake();
        VcpuHotplug h = new VcpuHotplug(null, l, f, s -> { });
        boolean[] want = new boolean[8];
        want[0] = true;
        for (int[] r : requests) {
            if (r[1] == 2) {
                f.run(); // the vCPUs get to run
                continue;
            }
            h.availability(r[0], r[1] == 1 ? "online" : "offline");
            if (r[0] != 0) {
                want[r[0]] = r[1] == 1;
            }
        }
        f.run();
        for (int k = 0; k < 8; k++) {
            assertThat(f.up[k]).as("vCPU %d", k).isEqualTo(want[k]);
            assertThat(h.state(k)).isIn(want[k] ? VcpuHotplug.ONLINE : VcpuHotplug.DOWN,
                    want[k] ? VcpuHotplug.ONLINE : VcpuHotplug.ABSENT);
        }
    }
}
