package org.parasol.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakePvOps;
import org.parasol.guest.mm.Balloon;
import org.parasol.guest.mm.BalloonTest;
import org.parasol.guest.mm.FakeDomainMemory;
import org.parasol.guest.mm.Memory;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.hypercall.SegmentBuffer;

/**
 * The balloon driver's reading of {@code memory/target}: the node is the toolstack's, but what a
 * guest's kernel reads from the store is read as hostile input anyway.
 */
class BalloonDriverTest {
    private final FakePvOps ops = new FakePvOps();
    private final List<Throwable> crashes = new ArrayList<>();
    private final RunLoop loop = new RunLoop(ops, crashes::add);
    private final List<String> said = new ArrayList<>();
    private final FakeDomainMemory d = new FakeDomainMemory(1024, 1024, 2048);
    private final Memory memory = d.memory(2048);
    private final BalloonTest.FakeHypervisor hv = new BalloonTest.FakeHypervisor(1024, 2048);
    private final Balloon balloon = new Balloon(memory, hv);
    private final BalloonDriver driver = new BalloonDriver(new Xenbus(loop, SegmentBuffer.allocate(4096), 0, () -> { }),
            loop, balloon, () -> ops.now, said::add);

    private void runTasks() {
        for (int i = 0; i < 1000 && loop.readyTasks() > 0; i++) {
            ops.onHalt = () -> { }; // a halt returns at once: no time passes, no timer fires
            loop.runOnce();
        }
    }

    @Test
    @DisplayName("xen-balloon's watch_target: a decimal KiB value is the target; the balloon gets there a batch per task")
    void shouldFollowTheTargetInBatches() {
        driver.target("2048");
        assertThat(balloon.targetPages()).isEqualTo(512);
        runTasks();
        assertThat(balloon.currentPages()).isEqualTo(512);
        assertThat(hv.decreases).isEqualTo(512 / Balloon.BATCH);
        assertThat(said).containsExactly("balloon: at 2048 KiB, the target");
        driver.target("8192");
        runTasks();
        assertThat(balloon.currentPages()).as("up to the room the kernel made").isEqualTo(2048);
        assertThat(crashes).isEmpty();
    }

    @Test
    @DisplayName("a target above max_pages: the balloon stops where the hypervisor does and says so once, retrying on a timer")
    void shouldStopAtMaxPagesAndRetryLater() {
        hv.maxPages = 1500;
        driver.target("1000000000");
        runTasks();
        assertThat(balloon.currentPages()).isEqualTo(1500);
        assertThat(balloon.targetPages()).as("clamped to the room").isEqualTo(2048);
        assertThat(said).hasSize(1);
        assertThat(said.get(0)).contains("short of the target").contains("the hypervisor gives no more pages");
        assertThat(loop.timers().pending()).as("one retry timer, not a spin").isEqualTo(1);
    }

    @Test
    @DisplayName("a target of 0 shrinks the domain to what it uses plus the free floor, and no further")
    void shouldKeepTheFloorForATargetOfZero() {
        driver.target("0");
        runTasks();
        assertThat(memory.frames().freeFrames()).isEqualTo(Balloon.FREE_FLOOR);
        assertThat(said.get(0)).contains("no free page left to give back");
        assertThat(crashes).isEmpty();
    }

    @Test
    @DisplayName("garbage in memory/target is ignored with one quoted, sanitized console line")
    void shouldIgnoreGarbage() {
        for (String bad : List.of("", "-4096", "64m", "0x1000", " 4096", "4096\n", "99999999999999999999", "\u0000\u00ff")) {
            driver.target(bad);
        }
        runTasks();
        assertThat(balloon.targetPages()).isEqualTo(1024);
        assertThat(balloon.currentPages()).isEqualTo(1024);
        assertThat(said).hasSize(8).allSatisfy(l -> assertThat(l).startsWith("balloon: ignoring memory/target")
                .matches("[\\x20-\\x7e]*").hasSizeLessThan(100));
    }

    @Property(tries = 300)
    @Label("parseKiB never throws and takes only plain decimal KiB up to 2^40")
    void shouldParseOnlyDecimalKiB(@ForAll String s) {
        long v = BalloonDriver.parseKiB(s);
        if (v >= 0) {
            assertThat(s).matches("[0-9]{1,13}");
            assertThat(Long.parseLong(s)).isEqualTo(v).isLessThanOrEqualTo(1L << 40);
        }
    }
}
