package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.architecture.ParasolModules;

/**
 * {@code parasol run FILE.cfg}: domains described in xl.cfg's syntax, run in this JVM, with
 * the file's on_* actions carried out by the command as xl carries them out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class XlConfigRunTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    @DisplayName("the example config runs hello with its name, memory and command line, and exits 0")
    void shouldRunTheExampleConfig() {
        Path cfg = ParasolModules.root().resolve("examples/configs/hello.cfg");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.out()).contains("[hello-cfg] Hello from Parasol! command line 'from=xl.cfg'")
                .contains("[hello-cfg] Parasol guest kernel").contains(" 2048 pages (");
        assertThat(o.out()).containsPattern(Pattern.compile("(?m)^hello-cfg\\s+\\d+ poweroff"));
    }

    @Test
    @DisplayName("configs and images run side by side in one host")
    void shouldMixConfigsAndImages() throws IOException {
        Path a = write("a.cfg", "name='alpha'\nkernel='hello'\nmemory=4\n");

        RunOutcome o = RunOutcome.of(a.toString(), "hello");

        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.out()).containsPattern("(?m)^alpha\\s+\\d+ poweroff").containsPattern("(?m)^hello\\s+\\d+ poweroff");
    }

    @Test
    @DisplayName("a domain dom0 cannot build (a file's name taken by an image's domain) is exit status 2, and dom0's console says why")
    void shouldExitTwoWhenDom0CannotBuildADomain() throws IOException {
        Path cfg = write("clash.cfg", "name='hello'\nkernel='hello'\n");

        RunOutcome o = RunOutcome.of(cfg.toString(), "hello");

        assertThat(o.status()).as(o.out() + o.err()).isEqualTo(2);
        assertThat(o.out()).contains("[Domain-0] dom0: boot module refused: line 3: the name 'hello' is given twice");
        assertThat(o.err()).contains("parasol run: dom0 could not build hello, hello (its console says why)");
    }

    @Test
    @DisplayName("cpu_weight, cap, pool, cpus and cpus_soft reach the credit scheduler: dom0 applies them by domctl as it builds")
    void shouldApplySchedulingKeys() throws IOException {
        Path cfg = write("sched.cfg", """
                name = 'tuned'
                kernel = 'hello'
                vcpus = 2
                cpu_weight = 512
                cap = 40
                pool = 'fast'
                cpus = '1-2,^2'
                cpus_soft = 'all'
                """);
        Map<String, String> seen = new ConcurrentHashMap<>();
        RunOutcome o = RunOutcome.of(hv -> hv.onShutdown(d -> {
            if (d.name().equals("tuned")) {
                var s = hv.scheduling(d);
                seen.put("weight", "" + s.weight());
                seen.put("cap", "" + s.cap());
                seen.put("pool", s.pool());
                seen.put("hard1", s.hardAffinity().get(1));
                seen.put("soft0", s.softAffinity().get(0));
            }
        }), "--pcpus", "3", "--cpupool", "fast:1-2", cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(seen).containsEntry("weight", "512").containsEntry("cap", "40").containsEntry("pool", "fast")
                .containsEntry("hard1", "1").containsEntry("soft0", "all");
    }

    @Test
    @DisplayName("a pool no --cpupool made is refused before anything boots, a pool that would take every pCPU at boot;"
            + " a hard affinity outside the domain's pool fails its build")
    void shouldRefuseUnknownPoolsAndAffinitiesOutsideThePool() throws IOException {
        Path unknown = write("unknown.cfg", "name='u'\nkernel='hello'\npool='nowhere'\n");
        RunOutcome o = RunOutcome.of(unknown.toString());
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains(unknown + ": no cpupool 'nowhere' (make it with --cpupool nowhere:CPUS)");
        Path plain = write("plain.cfg", "name='p'\nkernel='hello'\n");
        RunOutcome greedy = RunOutcome.of("--pcpus", "2", "--cpupool", "all:0-1", plain.toString());
        assertThat(greedy.status()).isEqualTo(2);
        assertThat(greedy.err()).contains("--cpupool all:0-1: Pool-0 must keep a pCPU");
        assertThat(o.out()).isEmpty();

        Path outside = write("outside.cfg", "name='o'\nkernel='hello'\npool='fast'\ncpus='0'\n");
        RunOutcome p = RunOutcome.of("--pcpus", "2", "--cpupool", "fast:1", outside.toString());
        assertThat(p.status()).as(p.out() + p.err()).isEqualTo(2);
        assertThat(p.out()).contains("setvcpuaffinity of vCPU 0 (cpus 0, cpus_soft all) failed (EINVAL)");
    }

    @Test
    @DisplayName("a config error names the file, the line and the key, and nothing starts")
    void shouldRefuseABadConfigBeforeAnythingStarts() throws IOException {
        Path good = write("good.cfg", "name='good'\nkernel='hello'\n");
        Path bad = write("bad.cfg", "name='bad'\nkernel='hello'\npci=['01:00.0']\n");

        RunOutcome o = RunOutcome.of(good.toString(), bad.toString());

        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains(bad + ":3: key 'pci' is not supported yet");
        assertThat(o.out()).as("no domain ran").isEmpty();
    }

    @Test
    @DisplayName("a missing file, or a kernel no images folder holds, is refused before anything starts")
    void shouldRefuseMissingFilesAndImages() throws IOException {
        Path nowhere = dir.resolve("nowhere.cfg");
        RunOutcome missing = RunOutcome.of(nowhere.toString(), "hello");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains(nowhere + ": no such file");
        assertThat(missing.out()).isEmpty();

        Path noImage = write("noimage.cfg", "name='x'\nkernel='no-such-image'\n");
        RunOutcome unknown = RunOutcome.of(noImage.toString());
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("no-such-image");
        assertThat(unknown.out()).isEmpty();
    }

    @Test
    @DisplayName("on_crash=\"preserve\" keeps the crashed domain until the run ends; the run exits 1")
    void shouldPreserveACrashedDomain() throws IOException {
        Path cfg = write("faulty.cfg", "name='faulty'\nkernel='faulty'\non_crash='preserve'\n");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).isEqualTo(1);
        assertThat(o.out()).containsPattern("(?m)^faulty\\s+\\d+ crash").doesNotContain("zombie");
    }

    @Test
    @DisplayName("on_crash=\"restart\" builds the domain again from its config after each crash, until the run is ended")
    void shouldRestartACrashedDomain() throws IOException {
        Path cfg = write("faulty.cfg", "name='faulty'\nkernel='faulty'\non_crash='restart'\n");

        RunOutcome o = RunOutcome.of("--timeout", "3", cfg.toString());

        assertThat(o.status()).isEqualTo(1);
        assertThat(o.err()).contains("timed out after 3 s");
        long incarnations = o.out().lines().filter(l -> l.matches("^faulty\\s+\\d+ crash.*")).count();
        assertThat(incarnations).as("one summary line per incarnation").isGreaterThanOrEqualTo(2);
        assertThat(o.out().lines().filter(l -> l.startsWith("[faulty] Parasol guest kernel")).count())
                .as("each incarnation booted").isGreaterThanOrEqualTo(2);
    }
}
