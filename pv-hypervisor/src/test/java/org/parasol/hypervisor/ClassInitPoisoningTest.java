package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * "The same trick inside a class initializer poisons shared classes for the whole JVM": a
 * guest dives to the edge of stack overflow and, at every frame as it unwinds, makes the JVM
 * initialize classes every domain and the hypervisor share (hypercall-api's grant structures).
 * If its initializer overflowed there, the class would be erroneous for the life of the JVM
 * and every later use, in any domain or in the hypervisor's grant handlers, a
 * {@code NoClassDefFoundError}. The host initializes them at boot, before any guest runs, so
 * the dive changes nothing. Runs in a fresh JVM: in the test JVM other tests would have
 * initialized the classes already, and the test could not fail.
 */
class ClassInitPoisoningTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    @DisplayName("a guest diving to the stack's edge cannot poison a shared class: it was initialized at host start")
    void shouldKeepSharedClassesUsableAfterAGuestDivesToTheEdge() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Dive.class.getName())
                .redirectErrorStream(true).start();
        String out;
        try {
            assertThat(p.waitFor(100, TimeUnit.SECONDS)).as("the dive finished").isTrue();
        } finally {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.destroyForcibly();
        }
        assertThat(out).contains("dive: hostile domain ended", "dive: grant structures usable")
                .doesNotContain("NoClassDefFoundError", "ExceptionInInitializerError");
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** The fresh JVM's program: boot, dive, then use the classes from the host and a second domain. */
    public static final class Dive {
        private Dive() {
        }

        public static void main(String[] args) throws IOException, DomainCreationException, InterruptedException,
                ClassNotFoundException {
            LeakCheck leaks = new LeakCheck();
            try (Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20).withPcpus(2)))) {
                // Loaded (as the hypervisor's handlers load them) but, without the host's boot-time
                // initialization, not yet initialized: the guest's first `new` would run their
                // initializers at whatever depth it chose.
                Class.forName(GnttabCopy.class.getName(), false, Dive.class.getClassLoader());
                Class.forName(GnttabMapGrantRef.class.getName(), false, Dive.class.getClassLoader());
                Domain hostile = hv.createDomain(DomainConfig.of("diver", null, 1).withMemoryKiB(1024), (cpu, si) -> {
                    dive();
                    TestKernels.shutdown(cpu, TestKernels.scratch(cpu, si), Shutdown.POWEROFF);
                });
                if (!hostile.awaitDeath(60, TimeUnit.SECONDS)) {
                    System.out.println("dive: the hostile domain did not end");
                    System.exit(3);
                }
                System.out.println("dive: hostile domain ended: " + hostile.crashCause());
                List<Object> uses = List.of(new GnttabCopy(), new GnttabMapGrantRef(), GnttabCopy.SIZE, GnttabMapGrantRef.SIZE);
                Domain after = hv.createDomain(DomainConfig.of("after", null, 1).withMemoryKiB(1024), (cpu, si) -> {
                    new GnttabCopy();
                    new GnttabMapGrantRef();
                    TestKernels.shutdown(cpu, TestKernels.scratch(cpu, si), Shutdown.POWEROFF);
                });
                if (!after.awaitDeath(30, TimeUnit.SECONDS) || after.shutdownReason() != Shutdown.POWEROFF) {
                    System.out.println("dive: a later domain could not use the grant structures: " + after.crashCause());
                    System.exit(4);
                }
                System.out.println("dive: grant structures usable (" + uses.size() + " uses)");
            }
            try {
                leaks.verify();
            } catch (AssertionError leak) {
                System.out.println("dive: " + leak.getMessage());
                System.exit(5);
            }
            System.exit(0);
        }

        /** Recurses until the stack overflows, then touches the shared classes at every frame on the way back. */
        private static void dive() {
            try {
                dive();
            } catch (Throwable overflow) {
                // unwind one frame and try here
            }
            try {
                new GnttabCopy();
                new GnttabMapGrantRef();
            } catch (Throwable overflowOrPoisoned) {
                // deeper frames fail; shallower ones succeed unless the class is poisoned
            }
        }
    }
}
