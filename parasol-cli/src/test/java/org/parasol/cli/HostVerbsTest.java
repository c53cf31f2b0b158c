package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.parasol.architecture.ParasolModules;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The "done when", with real processes: a {@code parasol host} in its own JVM, and the
 * real CLI in JVMs of their own against its socket.
 */
class HostVerbsTest {

    @Test
    @DisplayName("xl's habit: create -c shows the console (virt honoured), list shows the domain, destroy removes it, SIGTERM"
            + " ends the host with 0")
    void shouldCreateListTopDestroyAndStopOnSigterm() throws Exception {
        try (HostProcess h = HostProcess.start()) {
            Path root = ParasolModules.root();
            HostProcess.Result hello = h.cli("create", root.resolve("examples/configs/hello.cfg").toString(), "-c");
            assertThat(hello.status()).as(hello.err()).isZero();
            assertThat(hello.out()).contains("Hello from Parasol! command line 'from=xl.cfg'");

            // The control API's create honours virt as parasol run does: a bare kernel's banner
            // names no hypervisor.
            Path bare = h.dir.resolve("hello-bare.cfg");
            Files.writeString(bare, "name = \"hello-bare\"\nkernel = \"hello\"\nmemory = 8\nvirt = \"bare\"\n");
            HostProcess.Result bareHello = h.cli("create", bare.toString(), "-c");
            assertThat(bareHello.status()).as(bareHello.err()).isZero();
            assertThat(bareHello.out()).contains("Hello from Parasol!").contains(" on bare machine");

            Path cfg = h.dir.resolve("tick.cfg");
            Files.writeString(cfg, "name = \"tick1\"\nkernel = \"ticker\"\nmemory = 8\nvcpus = 1\n"
                    + "cmdline = \"ticks=600 period=1000\"\n");
            HostProcess.Result created = h.cli("create", cfg.toString());
            assertThat(created.status()).as(created.err()).isZero();
            assertThat(created.out()).contains("(tick1) created");

            HostProcess.Result again = h.cli("create", cfg.toString());
            assertThat(again.status()).isEqualTo(1);
            assertThat(again.err()).contains("EEXIST");

            HostProcess.Result list = h.cli("list");
            assertThat(list.out()).contains("Domain-0").contains("tick1");
            HostProcess.Result json = h.cli("list", "--json");
            assertThat(json.out()).contains("\"name\": \"tick1\"");
            HostProcess.Result top = h.cli("top", "-b", "-i", "2", "-d", "0.2");
            assertThat(top.status()).as(top.err()).isZero();
            assertThat(top.out()).contains("HYPERCALLS/s").contains("tick1");

            assertThat(h.cli("pause", "tick1").status()).isZero();
            assertThat(h.cli("list").out()).containsPattern("tick1\\s+\\d+\\s+8\\s+1\\s+--p---");
            assertThat(h.cli("unpause", "tick1").status()).isZero();

            HostProcess.Result blocks = h.cli("block-list", "tick1");
            assertThat(blocks.status()).as(blocks.err()).isZero();
            assertThat(blocks.out()).contains("Vdev");
            HostProcess.Result vifs = h.cli("network-list", "tick1");
            assertThat(vifs.status()).as(vifs.err()).isZero();
            assertThat(vifs.out()).contains("Mac Addr.");

            HostProcess.Result destroyed = h.cli("destroy", "tick1");
            assertThat(destroyed.status()).as(destroyed.err()).isZero();
            assertThat(h.cli("list").out()).doesNotContain("tick1");

            assertThat(h.cli("dmesg").out()).contains("dom0: built d").doesNotContain("parasol-sentinel");

            int status = h.terminate();
            String log = Files.readString(h.dir.resolve("host.log"));
            assertThat(status).as(h.output() + log).isZero();
            assertThat(h.output()).as(log).contains("parasol host: stopped");
            assertThat(h.socket).doesNotExist();
        }
    }

    @Test
    @DisplayName("With no host running, a verb says so and how to start one")
    void shouldSayNoHostRuns() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "nohost");
        java.util.List<String> cmd = LauncherJvm.command(java.util.List.of("-XX:TieredStopAtLevel=1"), "list",
                "--socket=" + dir.resolve("control.sock"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(out).contains("no host is running at").contains("./parasol host &");
    }
}
