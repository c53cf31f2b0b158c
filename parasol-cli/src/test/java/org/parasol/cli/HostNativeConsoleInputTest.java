package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ConsoleInputRequest;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.Response;

import com.google.protobuf.ByteString;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Console input to native kernels, with real processes: a {@code parasol host}, the real CLI,
 * and the {@code shell} image in each configuration — the PV console ring for {@code pv}, COM1's
 * receive interrupt for {@code trap}, {@code bare} and {@code bt} — answering the same lines
 * (HostConsoleInputTest does the ring's limits, a terminal and Ctrl-]).
 */
class HostNativeConsoleInputTest {

    @Test
    @DisplayName("the same input reaches a native kernel (trap, bare, bt) through COM1's receive interrupt; a native guest "
            + "that never reads its UART holds the line's 1 KiB and the FIFO's 16 bytes, then 64 KiB wait, then input is refused")
    void shouldCarryConsoleInputToNativeKernels() throws Exception {
        try (HostProcess h = HostProcess.start()) {
            byte[] typed = "help\necho hi there\nlines\npoweroff\n".getBytes(StandardCharsets.US_ASCII);
            for (String virt : List.of("pv", "trap", "bare", "bt")) {
                Path cfg = h.dir.resolve(virt + ".cfg");
                Files.writeString(cfg, "name = \"sh-" + virt + "\"\nkernel = \"shell\"\nmemory = 8\nvirt = \"" + virt
                        + "\"\non_poweroff = \"destroy\"\n");
                HostProcess.Result r = h.cliWithInput(typed, "create", cfg.toString(), "-c");
                assertThat(r.status()).as(virt + ": " + r.err()).isZero();
                assertThat(r.out()).as(virt).contains("shell: ready", "shell> help", "commands: help",
                        "shell> echo hi there", "\nhi there\n", "shell> lines", "3 lines, 25 bytes read", "shell: bye");
                assertThat(r.out()).as(virt).contains(virt.equals("bare") ? "on bare machine" : "on Xen");
            }

            Path deafCfg = h.dir.resolve("deaf.cfg");
            Files.writeString(deafCfg, "name = \"deaf\"\nkernel = \"ticker\"\nmemory = 8\nvirt = \"trap\"\n"
                    + "cmdline = \"ticks=600 period=1000\"\n");
            assertThat(h.cli("create", deafCfg.toString()).status()).isZero();
            try (ControlClient c = ControlClient.connect(h.socket)) {
                DomainRef deaf = DomainRef.newBuilder().setName("deaf").build();
                byte[] chunk = new byte[8192];
                java.util.Arrays.fill(chunk, (byte) 'x');
                Response last = null;
                int accepted = 0;
                for (int i = 0; i < 12 && (last == null || !last.hasError()); i++) {
                    last = c.call(c.request().setConsoleInput(ConsoleInputRequest.newBuilder().setDomain(deaf)
                            .setData(ByteString.copyFrom(chunk))).build());
                    accepted += last.hasError() ? 0 : chunk.length;
                }
                assertThat(last.hasError()).as("COM1's line and FIFO, then 64 KiB waiting, then a refusal").isTrue();
                assertThat(last.getError().getName()).isEqualTo("EAGAIN");
                assertThat(last.getError().getMessage()).contains("not reading its console");
                assertThat(accepted).as("what the host took for it: bounded").isLessThanOrEqualTo(64 * 1024 + 1040 + 8192);
            }
            assertThat(h.cli("destroy", "deaf").status()).isZero();
            assertThat(h.terminate()).as(h.output()).isZero();
        }
    }
}
