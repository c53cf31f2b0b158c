package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.parasol.architecture.ParasolModules;
import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ConsoleInputRequest;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.Response;

import com.google.protobuf.ByteString;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The console's input half and the verbs that change a running domain, with real processes: a
 * {@code parasol host}, the real CLI, the {@code shell} image reading its PV console ring, and a
 * real pseudo-terminal (util-linux's {@code script}) for xl's raw mode and its Ctrl-] escape.
 */
class HostConsoleInputTest {

    @Test
    @DisplayName("what is typed at parasol console reaches the guest through its console ring; Ctrl-] on a terminal detaches")
    void shouldCarryConsoleInputAndDetachOnCtrlBracket() throws Exception {
        try (HostProcess h = HostProcess.start()) {
            Path root = ParasolModules.root();
            String shellCfg = root.resolve("examples/configs/shell.cfg").toString();

            // Piped input: read after the domain is built, answered line by line.
            HostProcess.Result first = h.cliWithInput("help\necho hi there\nuptime\npoweroff\n".getBytes(StandardCharsets.US_ASCII),
                    "create", shellCfg, "-c");
            assertThat(first.status()).as(first.err()).isZero();
            assertThat(first.out()).contains("shell: ready", "shell> help", "commands: help", "shell> echo hi there",
                    "\nhi there\n", "shell> uptime", "up ", "shell: bye");

            // A terminal: raw mode, the guest's answer, then Ctrl-] leaves the domain running.
            assertThat(h.cli("create", shellCfg).status()).isZero();
            String cmd = LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1"), "console", "--socket=" + h.socket, "shell")
                    .stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
            Process tty = new ProcessBuilder("script", "-qec", cmd, "/dev/null").redirectErrorStream(true).start();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            Thread pump = new Thread(() -> copy(tty.getInputStream(), seen));
            pump.start();
            OutputStream keys = tty.getOutputStream();
            awaitOutput(seen, "shell: ready", 60);
            keys.write("echo over a tty\r".getBytes(StandardCharsets.US_ASCII));
            keys.flush();
            awaitOutput(seen, "\r\nover a tty\r\n", 30);
            keys.write(0x1d);
            keys.flush();
            assertThat(tty.waitFor(30, TimeUnit.SECONDS)).as("Ctrl-] detaches: %s", seen).isTrue();
            pump.join(5000);
            assertThat(tty.exitValue()).as(seen.toString()).isZero();
            assertThat(h.cli("list").out()).as("the domain outlives the detach").contains("shell");

            // A guest that does not read: its ring fills, then 64 KiB wait, then input is refused.
            Path tickCfg = h.dir.resolve("tick.cfg");
            Files.writeString(tickCfg, "name = \"deaf\"\nkernel = \"ticker\"\nmemory = 8\ncmdline = \"ticks=600 period=1000\"\n");
            assertThat(h.cli("create", tickCfg.toString()).status()).isZero();
            try (ControlClient c = ControlClient.connect(h.socket)) {
                DomainRef deaf = DomainRef.newBuilder().setName("deaf").build();
                byte[] chunk = new byte[8192];
                java.util.Arrays.fill(chunk, (byte) 'x');
                Response last = null;
                for (int i = 0; i < 10 && (last == null || !last.hasError()); i++) {
                    last = c.call(c.request().setConsoleInput(ConsoleInputRequest.newBuilder().setDomain(deaf)
                            .setData(ByteString.copyFrom(chunk))).build());
                }
                assertThat(last.hasError()).as("1 KiB in the ring and 64 KiB waiting, then a refusal").isTrue();
                assertThat(last.getError().getName()).isEqualTo("EAGAIN");
                assertThat(last.getError().getMessage()).contains("not reading its console");

                Response dom0 = c.call(c.request().setConsoleInput(ConsoleInputRequest.newBuilder()
                        .setDomain(DomainRef.newBuilder().setDomid(0)).setData(ByteString.copyFromUtf8("xl list\n"))).build());
                assertThat(dom0.getError().getName()).as("dom0's console input is the host's").isEqualTo("EPERM");
            }
            assertThat(h.cli("destroy", "deaf").status()).isZero();
            assertThat(h.cli("destroy", "shell").status()).isZero();
            assertThat(h.terminate()).as(h.output()).isZero();
        }
    }

    @Test
    @DisplayName("create -p leaves a domain paused until unpause; rename renames it, as xl's do, and refuses what xl refuses")
    void shouldCreatePausedAndRename() throws Exception {
        try (HostProcess h = HostProcess.start()) {
            Path cfg = h.dir.resolve("p.cfg");
            Files.writeString(cfg, "name = \"later\"\nkernel = \"ticker\"\nmemory = 8\ncmdline = \"ticks=600 period=1000\"\n");
            HostProcess.Result created = h.cli("create", cfg.toString(), "-p");
            assertThat(created.status()).as(created.err()).isZero();
            assertThat(created.out()).contains("(later) created, paused");
            assertThat(h.cli("list").out()).containsPattern("later\\s+\\d+\\s+8\\s+1\\s+--p---\\s+0\\.0");
            assertThat(h.cli("unpause", "later").status()).isZero();
            assertThat(h.cli("list").out()).containsPattern("later\\s+\\d+\\s+8\\s+1\\s+[rb]-----");

            assertThat(h.cli("rename", "later", "sooner").status()).isZero();
            String list = h.cli("list").out();
            assertThat(list).contains("sooner").doesNotContain("later");
            assertThat(h.cli("dmesg").out()).contains("dom0: renamed d");

            Files.writeString(cfg, "name = \"other\"\nkernel = \"ticker\"\nmemory = 8\ncmdline = \"ticks=600 period=1000\"\n");
            assertThat(h.cli("create", cfg.toString()).status()).isZero();
            HostProcess.Result taken = h.cli("rename", "other", "sooner");
            assertThat(taken.status()).isEqualTo(1);
            assertThat(taken.err()).contains("EEXIST");
            assertThat(h.cli("rename", "other", "Domain-0").err()).contains("EINVAL");
            assertThat(h.cli("rename", "other", "bad/name").err()).contains("EINVAL");
            assertThat(h.cli("rename", "nobody", "x").err()).contains("ESRCH");
            assertThat(h.cli("rename", "0", "x").err()).contains("EPERM");
            // The freed name is free: a new domain may take it.
            Files.writeString(cfg, "name = \"later\"\nkernel = \"ticker\"\nmemory = 8\ncmdline = \"ticks=600 period=1000\"\n");
            assertThat(h.cli("create", cfg.toString()).status()).isZero();

            // Progress, as the CLI's bar reads it: the checks, then the memory dom0 populates.
            try (ControlClient c = ControlClient.connect(h.socket)) {
                org.parasol.control.v1.Request req = c.request().setCreate(org.parasol.control.v1.CreateDomainRequest
                        .newBuilder().setReportProgress(true).setConfig(org.parasol.control.v1.DomainConfig.newBuilder()
                                .setName("big").setKernel("ticker").setMemoryMib(64).setCmdline("ticks=600 period=1000")))
                        .build();
                c.send(req);
                List<org.parasol.control.v1.Progress> items = new java.util.ArrayList<>();
                Response r;
                while ((r = c.read()).hasProgress()) {
                    items.add(r.getProgress());
                }
                assertThat(r.hasDomain()).as("%s", r).isTrue();
                assertThat(items).extracting(org.parasol.control.v1.Progress::getStage).startsWith("image and disks")
                        .contains("memory");
                List<Long> memory = items.stream().filter(p -> p.getStage().equals("memory"))
                        .map(org.parasol.control.v1.Progress::getDone).toList();
                assertThat(memory).as("from none to all 64 MiB, never back").isSorted().startsWith(0L).endsWith(16384L);
                assertThat(items.get(items.size() - 1).getTotal()).isEqualTo(16384L);
            }

            for (String d : List.of("sooner", "other", "later", "big")) {
                assertThat(h.cli("destroy", d).status()).as(d).isZero();
            }
            assertThat(h.terminate()).as(h.output()).isZero();
        }
    }

    @Test
    @DisplayName("TCP on 127.0.0.1 serves a client with the token and refuses one without; SO_PEERCRED refuses a foreign uid")
    void shouldCheckTokensAndPeerCredentials() throws Exception {
        Path tokens = Files.createTempDirectory(Path.of("/tmp"), "tok");
        Path token = tokens.resolve("token");
        Files.writeString(token, "a-token-of-more-than-16-characters\n");
        Path wrong = tokens.resolve("wrong");
        Files.writeString(wrong, "another-token-of-16-characters\n");
        try (HostProcess h = HostProcess.start("--tcp-port", "0", "--token-file", token.toString())) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("TCP 127\\.0\\.0\\.1:(\\d+)").matcher(h.output());
            assertThat(m.find()).as(h.output()).isTrue();
            String address = "127.0.0.1:" + m.group(1);

            HostProcess.Result ok = h.cli("list", "--tcp", address, "--token-file", token.toString());
            assertThat(ok.status()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("Domain-0");
            HostProcess.Result refused = h.cli("list", "--tcp", address, "--token-file", wrong.toString());
            assertThat(refused.status()).isEqualTo(1);
            assertThat(refused.err()).contains("EACCES");
            assertThat(h.cli("list", "--tcp", address).status()).as("no token file").isEqualTo(2);

            // A client of another uid: let it reach the socket file, then the kernel's word decides.
            Files.setPosixFilePermissions(h.dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(h.socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            ControlClientFrames frame = new ControlClientFrames();
            Process nobody = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "socat", "-t", "5", "-", "UNIX-CONNECT:" + h.socket).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream o = nobody.getOutputStream()) {
                o.write(frame.list());
            }
            byte[] answer = nobody.getInputStream().readAllBytes();
            assertThat(nobody.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(answer).as("closed without an answer").isEmpty();
            assertThat(Files.readString(h.dir.resolve("host.log"))).contains("refused a client of uid 65534 (SO_PEERCRED)");
            HostProcess.assertServes(h.socket);
            assertThat(h.terminate()).as(h.output()).isZero();
        }
    }

    /** A length-delimited {@code list} request, as any client frames it. */
    private static final class ControlClientFrames {
        byte[] list() {
            byte[] body = org.parasol.control.v1.Request.newBuilder().setVersion(ControlClient.VERSION).setId(1)
                    .setList(org.parasol.control.v1.ListDomainsRequest.getDefaultInstance()).build().toByteArray();
            return java.nio.ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream to) {
        byte[] b = new byte[4096];
        try {
            int n;
            while ((n = in.read(b)) > 0) {
                synchronized (to) {
                    to.write(b, 0, n);
                }
            }
        } catch (java.io.IOException ignored) {
            // the process ended
        }
    }

    private static void awaitOutput(ByteArrayOutputStream seen, String text, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String s;
            synchronized (seen) {
                s = seen.toString(StandardCharsets.UTF_8);
            }
            if (s.contains(text)) {
                return;
            }
            assertThat(System.nanoTime()).as("waiting for '%s' in: %s", text, s).isLessThan(until);
            Thread.sleep(50);
        }
    }
}
