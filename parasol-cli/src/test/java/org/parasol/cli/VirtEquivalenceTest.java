package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One kernel, several configurations: the same example images run paravirtualized and under
 * trap-and-emulate must print the same console output, times aside (issue 15's equivalence
 * test). What may differ is named in {@link #normalized}: times, the banner's platform (the
 * bare machine has no hypervisor to name) and its page counts (a native kernel keeps one page
 * for its privileged text and one for its IDT).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VirtEquivalenceTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "hello|''",
            "ticker|ticks=3 period=20",
    })
    @DisplayName("the example prints the same lines under --virt pv, trap, bare and bt; the trapped run takes VM exits, "
            + "the bare and translated ones none, the translated one translates")
    void shouldPrintTheSameUnderEachConfiguration(String image, String cmdline) {
        RunOutcome pv = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "pv");
        RunOutcome trap = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "trap");
        RunOutcome bare = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "bare");
        RunOutcome bt = RunOutcome.of(image, "--cmdline", cmdline, "--virt", "bt");

        assertThat(pv.status()).as(pv.out() + pv.err()).isZero();
        assertThat(trap.status()).as(trap.out() + trap.err()).isZero();
        assertThat(bare.status()).as(bare.out() + bare.err()).isZero();
        List<String> pvLines = normalized(pv.out(), image);
        assertThat(pvLines).as(pv.out()).hasSizeGreaterThan(2);
        assertThat(normalized(trap.out(), image)).as(trap.out()).isEqualTo(pvLines);
        assertThat(normalized(bare.out(), image)).as(bare.out()).isEqualTo(pvLines);
        assertThat(bt.status()).as(bt.out() + bt.err()).isZero();
        assertThat(normalized(bt.out(), image)).as(bt.out()).isEqualTo(pvLines);
        assertThat(bt.out()).contains("on Xen 4.19: ")
                .containsPattern(image + " +\\d+ poweroff .*\\[bt: 0 VM exits, [1-9]\\d* translations\\]");
        assertThat(bare.out()).contains("on bare machine: ")
                .containsPattern(image + " +\\d+ poweroff .*\\[bare: 0 VM exits\\]");
        assertThat(pv.out()).containsPattern(image + " +\\d+ poweroff +[0-9.]+ +\\d+ +\\d+\\R")
                .doesNotContain("VM exits");
        Matcher exits = Pattern.compile(image + " +\\d+ poweroff .*\\[trap: (\\d+) VM exits\\]").matcher(trap.out());
        assertThat(exits.find()).as(trap.out()).isTrue();
        assertThat(Long.parseLong(exits.group(1))).as("the UART's set-up alone is 7 exits").isGreaterThan(7);
    }

    @Test
    @DisplayName("with clock=pit the native kernels tick on the 8254 PIT's IRQ 0 instead of the local APIC timer, and "
            + "ticker prints the same lines as the paravirtual kernel (which has no PIT and ignores the word)")
    void shouldTickOnThePit() {
        String cmdline = "ticks=3 period=20 clock=pit";
        RunOutcome pv = RunOutcome.of("ticker", "--cmdline", cmdline, "--virt", "pv");
        RunOutcome trap = RunOutcome.of("ticker", "--cmdline", cmdline, "--virt", "trap");
        RunOutcome bare = RunOutcome.of("ticker", "--cmdline", cmdline, "--virt", "bare");
        assertThat(pv.status()).as(pv.out() + pv.err()).isZero();
        assertThat(trap.status()).as(trap.out() + trap.err()).isZero();
        assertThat(bare.status()).as(bare.out() + bare.err()).isZero();
        String pitLine = "timer: 8254 PIT channel 0, mode 2 at 1000 Hz on IRQ 0";
        assertThat(normalized(pv.out(), "ticker")).doesNotContain(pitLine);
        List<String> pvLines = normalized(pv.out(), "ticker");
        for (RunOutcome o : List.of(trap, bare)) {
            List<String> lines = normalized(o.out(), "ticker");
            assertThat(lines).as(o.out()).contains(pitLine);
            assertThat(lines.stream().filter(l -> !l.equals(pitLine)).toList()).as(o.out()).isEqualTo(pvLines);
        }
    }

    @Test
    @DisplayName("xl.cfg's virt = \"trap\" boots the domain trapped, as --virt trap does")
    void shouldTakeTheVirtKeyFromAConfigFile(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("hello.cfg");
        Files.writeString(cfg, "name = \"hello-trap\"\nkernel = \"hello\"\nmemory = 4\nvirt = \"trap\"\n");
        RunOutcome o = RunOutcome.of(cfg.toString());
        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[hello-trap] Hello from Parasol!")
                .containsPattern("hello-trap +\\d+ poweroff .*\\[trap: \\d+ VM exits\\]");
    }

    @Test
    @DisplayName("the block example leaves byte-identical disks through blkfront under pv and through the ATA disk "
            + "on the legacy ports (the same image file, the same block API) under trap, bare and bt")
    void shouldWriteTheSameDiskUnderEachConfiguration(@TempDir Path dir) throws Exception {
        byte[] first = null;
        for (String virt : new String[] {"pv", "trap", "bare", "bt"}) {
            Path img = dir.resolve("disk-" + virt + ".img");
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            Path cfg = dir.resolve("blk-" + virt + ".cfg");
            Files.writeString(cfg, "name = \"blk-" + virt + "\"\nkernel = \"blkcheck\"\nmemory = 8\nvirt = \"" + virt
                    + "\"\ndisk = [ \"format=raw, vdev=xvda, access=rw, target=" + img + "\" ]\n");
            RunOutcome o = RunOutcome.of(cfg.toString());
            assertThat(o.status()).as(o.out() + o.err()).isZero();
            assertThat(o.out()).contains("[blk-" + virt + "] blkcheck: verified 1048576 bytes");
            if (virt.equals("pv")) {
                assertThat(o.out()).contains("[blk-pv] blkcheck: xvda: 2048 sectors of 512 bytes; 1 queue(s)");
            } else {
                assertThat(o.out()).contains("xvda as the ATA disk (primary channel, device 0)")
                        .contains("[blk-" + virt + "] blkcheck: hda: 2048 sectors of 512 bytes; ATA \"Parasol ATA disk\""
                                + " on the primary channel, bus-master DMA (8086:7010 at 00:01.1, BM 0xc000, UDMA 5), LBA48,"
                                + " IRQ 14");
                // Every data command by DMA, each ended by IRQ 14 taken natively.
                Matcher irqs = Pattern.compile("ata: hda closed after (\\d+) commands \\((\\d+) by DMA, (\\d+) by PIO\\), "
                        + "(\\d+) IRQ 14 interrupts, (\\d+) status polls").matcher(o.out());
                assertThat(irqs.find()).as(o.out()).isTrue();
                long dma = Long.parseLong(irqs.group(2));
                assertThat(dma).as("1 MiB written and read back, at most 128 KiB a command").isGreaterThanOrEqualTo(16);
                assertThat(Long.parseLong(irqs.group(3))).as("no PIO fallback").isZero();
                assertThat(Long.parseLong(irqs.group(4))).isGreaterThanOrEqualTo(dma);
            }
            if (virt.equals("trap")) {
                // Each DMA command is about 20 exits (PIO took about 4 a sector, over 16,000 here): far fewer
                // than one per sector, but each command and its interrupt still exit.
                Matcher exits = Pattern.compile("blk-trap +\\d+ poweroff .*\\[trap: (\\d+) VM exits\\]").matcher(o.out());
                assertThat(exits.find()).as(o.out()).isTrue();
                assertThat(Long.parseLong(exits.group(1))).isGreaterThan(16 * 10).isLessThan(2 * 2048);
            }
            byte[] bytes = Files.readAllBytes(img);
            if (first == null) {
                first = bytes;
            } else {
                assertThat(bytes).as(virt + "'s disk").isEqualTo(first);
            }
        }
    }

    @Test
    @DisplayName("netecho answers ping and UDP echo from another guest on dom0's bridge through netfront under pv and "
            + "through the NE2000 on the ISA ports (the same application, the same net-device API) under trap, bare and bt")
    void shouldEchoTheSamePacketsUnderEachConfiguration(@TempDir Path dir) throws Exception {
        String[][] pairs = {{"pv", "pv"}, {"trap", "pv"}, {"bare", "pv"}, {"bt", "pv"}, {"trap", "bt"}};
        for (String[] pair : pairs) {
            String srvVirt = pair[0];
            String cliVirt = pair[1];
            Path srv = dir.resolve("srv-" + srvVirt + "-" + cliVirt + ".cfg");
            Files.writeString(srv, "name='srv'\nkernel='netecho'\nmemory=8\nvirt='" + srvVirt
                    + "'\ncmdline='ip=10.0.0.2/24'\nvif=[ 'bridge=xenbr0, ip=10.0.0.2' ]\n");
            Path cli = dir.resolve("cli-" + srvVirt + "-" + cliVirt + ".cfg");
            Files.writeString(cli, "name='cli'\nkernel='netecho'\nmemory=8\nvirt='" + cliVirt
                    + "'\ncmdline='ip=10.0.0.3/24 role=ping target=10.0.0.2 count=10'\nvif=[ 'bridge=xenbr0' ]\n");
            RunOutcome o = RunOutcome.of(srv.toString(), cli.toString());
            String what = srvVirt + "/" + cliVirt + ":\n" + o.out() + o.err();
            assertThat(o.status()).as(what).isZero();
            assertThat(o.out()).as(what).contains("[srv] netecho: 10.0.0.2/24 on 00:16:3e:00:01:00, echoing")
                    .containsPattern("\\[cli\\] netecho: 10/10 pings answered by 10.0.0.2, p50 \\d+ us; 10/10 UDP "
                            + "datagrams echoed")
                    .contains("[srv] netecho: echoed 10 datagrams; told to quit")
                    .containsPattern("(?m)^srv\\s+1 poweroff").containsPattern("(?m)^cli\\s+2 poweroff");
            if (srvVirt.equals("pv")) {
                assertThat(o.out()).as(what).doesNotContain("NE2000");
                continue;
            }
            assertThat(o.out()).as(what)
                    .contains("[Domain-0] dom0: d1 (srv): vif 0 as an NE2000 (0x300, IRQ 10, 00:16:3e:00:01:00) on xenbr0")
                    .contains("[srv] eth0: NE2000 at 0x300, IRQ 10, 00:16:3e:00:01:00");
            // Every frame that reached the card was announced by IRQ 10, taken natively.
            Matcher card = Pattern.compile("\\[srv\\] ne2k: eth0 closed after (\\d+) frames in, (\\d+) out, (\\d+) IRQ 10 "
                    + "interrupts, 0 overruns, 0 bogus headers, 0 transmit errors").matcher(o.out());
            assertThat(card.find()).as(what).isTrue();
            assertThat(Long.parseLong(card.group(1))).as("10 pings, 10 datagrams, quit, ARP").isGreaterThanOrEqualTo(21);
            assertThat(Long.parseLong(card.group(2))).as("20 answers and ARP").isGreaterThanOrEqualTo(20);
            assertThat(Long.parseLong(card.group(3))).isPositive();
            if (srvVirt.equals("trap")) {
                Matcher exits = Pattern.compile("srv +\\d+ poweroff .*\\[trap: (\\d+) VM exits\\]").matcher(o.out());
                assertThat(exits.find()).as(what).isTrue();
                // A frame in is at least CURR, BNRY, two remote reads and BNRY: well over 5 exits.
                assertThat(Long.parseLong(exits.group(1))).isGreaterThan(5 * 41);
            }
        }
    }

    @Test
    void shouldRefuseAnUnknownConfiguration() {
        RunOutcome o = RunOutcome.of("hello", "--virt", "hvm");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).contains("--virt").contains("pv, trap, bare, bt").contains("'hvm'");
    }

    /** The image's own console lines, with times, dates and the banner's page counts masked. */
    static List<String> normalized(String out, String image) {
        String prefix = "[" + image + "] ";
        return out.lines().filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(prefix.length()))
                .map(l -> l.replaceAll("\\(\\d+ free, \\d+ mapped at boot\\)", "(N free, N mapped at boot)"))
                .map(l -> l.replaceAll("^(Parasol guest kernel [0-9.]+) on [^:]+:", "$1 on <platform>:"))
                .map(l -> l.replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "<date>"))
                .map(l -> l.replaceAll("\\d+(\\.\\d+)? ms", "<t> ms"))
                .toList();
    }
}
