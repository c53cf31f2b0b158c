package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hostile.NicFloodKernel;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainState;

/**
 * A native domain that floods its NE2000's transmit queue (the {@code nicflood} image, {@code
 * virt = "trap"}, for 6 s by channel 2 of its PIT) beside a well-behaved pair on the same bridge: netecho's server on an NE2000
 * under trap and its client on netfront. The pair's pings and UDP echoes all come back, slower
 * by a bounded factor than without the flood; the flooder's queue stays at its bound (its sends
 * past 32 waiting frames are aborted); dom0 keeps draining the queue and bridging the pair's
 * frames; the host's heap does not grow while the flood runs.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class HostileNicFloodTest {
    @TempDir
    Path dir;

    private static final Pattern P50 = Pattern.compile("\\[cli] netecho: 10/10 pings answered by 10\\.0\\.0\\.2, p50 (\\d+) us");

    @Test
    @DisplayName("an NE2000 transmit flood beside netecho: every ping and datagram answered within a bounded slowdown, "
            + "the flooder's queue held at 32 frames (the rest aborted), dom0 drains it, the heap does not grow")
    void shouldContainATransmitFlood() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        packageImage(images);
        Path srv = cfg("srv.cfg", "name='srv'\nkernel='netecho'\nmemory=8\nvirt='trap'\ncmdline='ip=10.0.0.2/24'\n"
                + "vif=[ 'bridge=xenbr0, ip=10.0.0.2' ]\n");
        Path cli = cfg("cli.cfg", "name='cli'\nkernel='netecho'\nmemory=8\nvirt='pv'\n"
                + "cmdline='ip=10.0.0.3/24 role=ping target=10.0.0.2 count=10'\nvif=[ 'bridge=xenbr0' ]\n");
        Path flood = cfg("flood.cfg", "name='flood'\nkernel='nicflood'\nmemory=8\nvirt='trap'\ncmdline='ms=6000'\n"
                + "vif=[ 'mac=00:16:3e:00:0f:01, bridge=xenbr0' ]\n");

        // The pair alone: the baseline.
        RunOutcome quiet = RunOutcome.of("--images", images.toString(), srv.toString(), cli.toString());
        assertThat(quiet.status()).as(quiet.out() + quiet.err()).isZero();
        long quietP50 = p50(quiet.out());

        // The flooder first, then the pair, while a host thread samples the heap as long as the flood runs.
        List<long[]> heap = new ArrayList<>();
        AtomicReference<Thread> sampler = new AtomicReference<>();
        RunOutcome o = RunOutcome.of(hv -> sampler.set(Thread.ofPlatform().daemon().start(() -> sample(hv, heap))),
                "--images", images.toString(), flood.toString(), srv.toString(), cli.toString());
        sampler.get().join(10_000);
        String what = o.out() + o.err();

        assertThat(o.status()).as(what).isZero();
        assertThat(o.out()).as(what).contains("[flood] nicflood: flooding for 6000 ms")
                .containsPattern("\\[cli] netecho: 10/10 pings answered by 10\\.0\\.0\\.2, p50 \\d+ us; 10/10 UDP "
                        + "datagrams echoed")
                .contains("[srv] netecho: echoed 10 datagrams; told to quit")
                .containsPattern("(?m)^flood\\s+1 poweroff").containsPattern("(?m)^srv\\s+2 poweroff")
                .containsPattern("(?m)^cli\\s+3 poweroff");
        // The flood covered the pair's whole exchange.
        int done = o.out().indexOf("[flood] nicflood: done");
        assertThat(done).as(what).isGreaterThan(o.out().indexOf("[cli] netecho: 10/10 pings answered"));

        Matcher m = Pattern.compile("nicflood: done after (\\d+) PIT periods, txp=(\\d+) accepted=(\\d+) aborted=(\\d+)")
                .matcher(o.out());
        assertThat(m.find()).as(what).isTrue();
        long sends = Long.parseLong(m.group(2));
        long accepted = Long.parseLong(m.group(3));
        long aborted = Long.parseLong(m.group(4));
        assertThat(Long.parseLong(m.group(1))).as("6 s of 54.9 ms periods").isEqualTo(109);
        assertThat(accepted + aborted).isEqualTo(sends);
        assertThat(aborted).as("sends past the 32 frames waiting for dom0 are aborted").isPositive();
        // dom0 emptied the queue again and again while the flood ran (a starved dom0 would leave
        // it full after the first 32, and every later send aborted).
        assertThat(accepted).as("dom0 kept taking frames off the queue").isGreaterThan(1_000);

        long floodP50 = p50(o.out());
        System.out.printf("[nicflood] ping p50 %d us alone, %d us beside the flood; %d frames sent, %d aborted;"
                + " heap samples %d%n", quietP50, floodP50, accepted, aborted, heap.size());
        assertThat(floodP50).as("ping p50 beside the flood (%d us alone)%n%s", quietP50, what)
                .isLessThanOrEqualTo(Math.max(50 * quietP50, quietP50 + 200_000));

        assertThat(heap).as("heap samples while the flood ran").hasSizeGreaterThanOrEqualTo(6);
        long firstThird = minUsed(heap.subList(0, heap.size() / 3));
        long lastThird = minUsed(heap.subList(heap.size() - heap.size() / 3, heap.size()));
        assertThat(lastThird - firstThird).as("heap growth while the flood ran (least used, first third vs last)")
                .isLessThan(48L << 20);
    }

    /** Heap used, every 50 ms while the flood domain runs: {time, used}. */
    private static void sample(Hypervisor hv, List<long[]> out) {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean seen = false;
        while (System.nanoTime() < until) {
            Domain flood = null;
            for (Domain d : hv.domains()) {
                if (d.name().equals("flood")) {
                    flood = d;
                }
            }
            boolean running = flood != null && flood.state() == DomainState.RUNNING;
            if (running) {
                seen = true;
                synchronized (out) {
                    out.add(new long[] {System.nanoTime(), mx.getHeapMemoryUsage().getUsed()});
                }
            } else if (seen) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long minUsed(List<long[]> samples) {
        long min = Long.MAX_VALUE;
        for (long[] s : samples) {
            min = Math.min(min, s[1]);
        }
        return min;
    }

    private static long p50(String out) {
        Matcher m = P50.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    private Path cfg(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** The nicflood image: the hostile kernels' classes in a jar, and a descriptor naming the flooder. */
    private static void packageImage(Path images) throws IOException {
        Path lib = Files.createDirectories(images.resolve("lib"));
        Path classes = Path.of(NicFloodKernel.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (OutputStream os = Files.newOutputStream(lib.resolve("nicflood.jar")); JarOutputStream jar = new JarOutputStream(os)) {
            for (String c : List.of("NicFloodKernel", "Hostile")) {
                String entry = "org/parasol/hostile/" + c + ".class";
                jar.putNextEntry(new JarEntry(entry));
                jar.write(Files.readAllBytes(classes.resolve(entry)));
                jar.closeEntry();
            }
        }
        Files.writeString(images.resolve("nicflood.image"), "kernel=org.parasol.hostile.NicFloodKernel\n"
                + "classpath=lib/nicflood.jar\nprivileged=false\ndescription=hostile nicflood\n");
    }
}
