package org.parasol.toolstack.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The xl verbs dom0's console takes, read as hostile input: what each accepted line asks for,
 * the one-line answer to each refusal, and dom0's {@code shutdown_timeout=}.
 */
class XlCommandTest {

    @ParameterizedTest(name = "''{0}''")
    @DisplayName("xl's verbs and options as xl's getopt takes them: -a/--all, -w/--wait, -F, combined short options")
    @CsvSource(delimiter = '|', textBlock = """
            xl shutdown ticker          | SHUTDOWN | false | false | ticker
            xl shutdown -w 3            | SHUTDOWN | false | true  | 3
            xl shutdown -F ticker       | SHUTDOWN | false | false | ticker
            xl shutdown -a              | SHUTDOWN | true  | false |
            xl shutdown -aw             | SHUTDOWN | true  | true  |
            '  xl   shutdown --all --wait ' | SHUTDOWN | true | true |
            xl reboot web-1.a_b         | REBOOT   | false | false | web-1.a_b
            xl reboot -a -w             | REBOOT   | true  | true  |
            xl destroy 12               | DESTROY  | false | false | 12
            xl list                     | LIST     | false | false |
            """)
    void shouldReadXlsVerbs(String line, XlCommand.Verb verb, boolean all, boolean wait, String domain) throws Exception {
        assertThat(XlCommand.parse(line)).isEqualTo(new XlCommand(verb, all, wait, domain));
    }

    @Test
    @DisplayName("the block verbs take a domain and a disk spec (its words joined by commas) or a vdev")
    void shouldReadTheBlockVerbs() throws Exception {
        assertThat(XlCommand.parse("xl block-attach guest vdev=xvdb access=ro target=/srv/a.img")).isEqualTo(
                new XlCommand(XlCommand.Verb.BLOCK_ATTACH, false, false, "guest", "vdev=xvdb,access=ro,target=/srv/a.img"));
        assertThat(XlCommand.parse("xl block-detach 3 xvdb"))
                .isEqualTo(new XlCommand(XlCommand.Verb.BLOCK_DETACH, false, false, "3", "xvdb"));
        assertThat(XlCommand.parse("xl block-list guest"))
                .isEqualTo(new XlCommand(XlCommand.Verb.BLOCK_LIST, false, false, "guest"));
    }

    @Test
    @DisplayName("xl create takes one boot-module line, longer than other lines and with more words, up to its own limit")
    void shouldTakeACreateLine() throws Exception {
        String line = "name=web image=hello memory=4096 maxmem=4096 vcpus=1 cmdline=" + "x".repeat(400)
                + " on_poweroff=destroy on_reboot=restart on_crash=destroy";
        XlCommand c = XlCommand.parse("xl create " + line);
        assertThat(c.verb()).isEqualTo(XlCommand.Verb.CREATE);
        assertThat(c.device()).isEqualTo(line);
        assertThatThrownBy(() -> XlCommand.parse("xl create " + "x".repeat(XlCommand.CREATE_LINE_MAX)))
                .hasMessage("a line longer than 2048 bytes is not read");
    }

    @Test
    @DisplayName("a blank line is nothing")
    void shouldSkipBlankLines() throws Exception {
        assertThat(XlCommand.parse("")).isNull();
        assertThat(XlCommand.parse(" \t ")).isNull();
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @DisplayName("every other line is refused with one line saying why")
    @CsvSource(delimiter = '#', textBlock = """
            rm -rf /                    # not an xl command: 'rm -rf /'; dom0's console takes xl shutdown|reboot [-a] [-w] [-F] <name|domid>, xl destroy <name|domid>, xl list, xl block-attach <name|domid> <disk spec>, xl block-detach <name|domid> <vdev>, xl block-list <name|domid>
            xl                          # which command? xl shutdown|reboot [-a] [-w] [-F] <name|domid>, xl destroy <name|domid>, xl list, xl block-attach <name|domid> <disk spec>, xl block-detach <name|domid> <vdev>, xl block-list <name|domid>
            xl network-attach           # network-attach: <domain> [vif spec], e.g. bridge=xenbr0 mac=00:16:3e:00:00:09
            xl network-detach d1        # network-detach: <domain> <devid|mac>
            xl network-list             # network-list: name one domain
            xl create                   # create: <domain line>, e.g. name=web image=hello memory=4096 vcpus=1
            xl frobnicate evil.cfg      # command 'frobnicate' is not one dom0 carries out; xl shutdown|reboot [-a] [-w] [-F] <name|domid>, xl destroy <name|domid>, xl list, xl block-attach <name|domid> <disk spec>, xl block-detach <name|domid> <vdev>, xl block-list <name|domid>
            xl shutdown                 # shutdown: you must specify -a or a domain id
            xl shutdown a b             # shutdown: you must specify -a or a domain id
            xl shutdown -a ticker       # shutdown: -a takes no domain
            xl shutdown -R ticker       # shutdown: unknown option '-R'
            xl shutdown --force ticker  # shutdown: unknown option '--force'
            xl destroy -a               # destroy: unknown option '-a'
            xl destroy                  # destroy: name one domain
            xl list ticker              # list: dom0 lists every domain; no arguments
            xl block-attach ticker      # block-attach: <domain> <disk spec>, e.g. vdev=xvdb access=rw target=/path/img
            xl block-detach ticker      # block-detach: <domain> <vdev|devid>
            xl block-list               # block-list: name one domain
            xl block-list -a            # block-list: unknown option '-a'
            xl shutdown ../../etc       # '../../etc' is an invalid domain identifier
            xl shutdown a;reboot        # 'a;reboot' is an invalid domain identifier
            xl a b c d e f g h i        # more than 8 words
            """)
    void shouldRefuseWithOneLine(String line, String answer) {
        assertThatThrownBy(() -> XlCommand.parse(line)).isInstanceOf(XlCommand.Refused.class).hasMessage(answer);
    }

    @Test
    @DisplayName("an answer quotes at most 32 characters of what it refused, printable ones only")
    void shouldQuoteShortAndClean() {
        assertThatThrownBy(() -> XlCommand.parse("xl " + "q".repeat(100))).hasMessageStartingWith(
                "command '" + "q".repeat(32) + "...' is not one");
        assertThatThrownBy(() -> XlCommand.parse("xl shutdown -\u00e9")).hasMessage("shutdown: unknown option '-?'");
        assertThatThrownBy(() -> XlCommand.parse("x".repeat(XlCommand.LINE_MAX + 1)))
                .hasMessage("a line longer than 256 bytes is not read");
    }

    @Property(tries = 2000)
    @Label("any line of up to 300 characters is an accepted command or a refusal of at most 300 characters; "
            + "nothing else escapes")
    void shouldAnswerAnyLine(@ForAll("lines") String line) {
        try {
            XlCommand c = XlCommand.parse(line);
            if (c != null) {
                assertThat(line).contains("xl");
                if (c.domain() != null) {
                    assertThat(c.domain()).matches("[A-Za-z0-9_.-]{1,64}");
                }
            }
        } catch (XlCommand.Refused e) {
            assertThat(e.getMessage()).hasSizeLessThan(300).doesNotContain("\n", "\r", "\u0000");
        }
    }

    @Provide
    Arbitrary<String> lines() {
        Arbitrary<String> words = Arbitraries.oneOf(Arbitraries.of("xl", "shutdown", "reboot", "destroy", "list", "-a",
                "-w", "-F", "-awF", "--all", "--wait", "-", "--", "ticker", "0", "1", "65536", "Domain-0", "\t", " "),
                Arbitraries.strings().ofMaxLength(20));
        return words.list().ofMaxSize(12).map(l -> String.join(" ", l)).filter(s -> s.length() <= 300);
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @DisplayName("dom0's shutdown_timeout= is seconds, or milliseconds with 'ms'; 60 s without one")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                 | PT1M
            build=hello                        | PT1M
            shutdown_timeout=5                 | PT5S
            shutdown_timeout=5s                | PT5S
            build=ticker shutdown_timeout=250ms | PT0.25S
            """)
    void shouldReadTheShutdownTimeout(String cmdline, Duration timeout) {
        assertThat(PvControl.timeout(cmdline)).isEqualTo(timeout);
    }

    @ParameterizedTest(name = "''{0}''")
    @DisplayName("a shutdown_timeout= that is no number, zero or more than a day is refused, naming the word")
    @CsvSource(textBlock = """
            shutdown_timeout=
            shutdown_timeout=abc
            shutdown_timeout=-5
            shutdown_timeout=0
            shutdown_timeout=0ms
            shutdown_timeout=86401
            shutdown_timeout=9999999999
            shutdown_timeout=5m
            """)
    void shouldRefuseABadShutdownTimeout(String cmdline) {
        assertThatThrownBy(() -> PvControl.timeout(cmdline)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("shutdown_timeout=");
    }

    @Test
    @DisplayName("xl mem-set and vcpu-set: a domain and a size in xl's units, a count")
    void shouldReadMemSetAndVcpuSet() throws Exception {
        assertThat(XlCommand.parse("xl mem-set web 64m"))
                .isEqualTo(new XlCommand(XlCommand.Verb.MEM_SET, false, false, "web", "64m"));
        assertThat(XlCommand.parse("xl vcpu-set 3 2"))
                .isEqualTo(new XlCommand(XlCommand.Verb.VCPU_SET, false, false, "3", "2"));
        assertThatThrownBy(() -> XlCommand.parse("xl mem-set web 64q")).hasMessage("mem-set: invalid memory size: 64q");
        assertThatThrownBy(() -> XlCommand.parse("xl mem-set web")).hasMessage("mem-set: <domain> <mem>, e.g. 64m");
        assertThatThrownBy(() -> XlCommand.parse("xl vcpu-set web -1")).isInstanceOf(XlCommand.Refused.class);
        assertThatThrownBy(() -> XlCommand.parse("xl vcpu-set web x")).hasMessage("vcpu-set: Invalid argument x");
    }

    @ParameterizedTest(name = "{0} = {1} KiB")
    @DisplayName("xl's parse_mem_size_kb: MiB by default, t/g/m/k and b suffixes, either case; anything else refused")
    @CsvSource({"64, 65536", "64m, 65536", "64M, 65536", "1g, 1048576", "1t, 1073741824", "4096k, 4096", "4096K, 4096",
            "8192b, 8", "0, 0", "1024t, 1099511627776", "1025t, -1", "64mb, -1", "m, -1", "-1, -1", "'', -1", "6 4, -1",
            "99999999999999999999, -1", "0x10, -1"})
    void shouldReadMemorySizesAsXl(String mem, long kib) {
        assertThat(XlCommand.parseMemSizeKiB(mem)).isEqualTo(kib);
    }
}
